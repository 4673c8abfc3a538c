import { InvalidArgumentError, type Tensor } from "@mc/core";
import { type Module, Sequential } from "@mc/nn";

/** What one forward pass exposes to the distillation losses. */
export interface ForwardTaps {
  logits: Tensor;
  /** Named intermediate outputs (e.g. Sequential child names, or `layers.1` of a transformer). */
  hidden: Map<string, Tensor>;
  /** Named pre-softmax attention scores [batch, heads, queries, keys]. */
  attentionScores: Map<string, Tensor>;
}

/** Gradients of the extra losses with respect to the taps, added during backward. */
export interface TapGradients {
  hidden: Map<string, Tensor>;
  attentionScores: Map<string, Tensor>;
}

/**
 * How `distill` runs a model: a forward that exposes the requested taps and a backward that
 * accepts gradients at them. `sequentialAdapter` covers `@mc/nn` Sequential models; other
 * architectures plug in their own.
 */
export interface ModelAdapter {
  forward(model: Module, input: Tensor, request: { hidden: readonly string[]; attentionScores: readonly string[] }): ForwardTaps;
  backward(model: Module, gradLogits: Tensor, gradients: TapGradients): void;
}

/** Taps are the outputs of named children; gradients there go through `Sequential.backward(g, extra)`. */
export const sequentialAdapter: ModelAdapter = {
  forward(model, input, request) {
    if (request.attentionScores.length > 0) {
      throw new InvalidArgumentError({
        message: `distill: a Sequential exposes no attention scores (asked for ${request.attentionScores.join(", ")}); pass an adapter for attention models`,
        argument: "options.attentionPairs",
      });
    }
    if (!(model instanceof Sequential)) {
      if (request.hidden.length > 0) {
        throw new InvalidArgumentError({
          message: `distill: hidden-state pairs need a Sequential model or an adapter; got ${model.constructor.name}`,
          argument: "options.hiddenPairs",
        });
      }
      return { logits: model.forward(input), hidden: new Map(), attentionScores: new Map() };
    }
    const { output, outputs, names } = model.forwardWithIntermediates(input);
    const hidden = new Map<string, Tensor>();
    for (const name of request.hidden) {
      const index = names.indexOf(name);
      if (index < 0) {
        throw new InvalidArgumentError({
          message: `distill: the model has no child named "${name}"; children: ${names.join(", ")}`,
          argument: "options.hiddenPairs",
          value: name,
        });
      }
      hidden.set(name, outputs[index] as Tensor);
    }
    return { logits: output, hidden, attentionScores: new Map() };
  },
  backward(model, gradLogits, gradients) {
    if (!(model instanceof Sequential)) {
      model.backward(gradLogits);
      return;
    }
    const names = model.children().map(([name]) => name);
    const extra: (Tensor | undefined)[] = names.map((name) => gradients.hidden.get(name));
    model.backward(gradLogits, extra);
  },
};

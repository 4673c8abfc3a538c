import { InvalidArgumentError, type Tensor } from "@mc/core";
import { type Module, RowTransformer, Sequential } from "@mc/nn";

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
  forward(
    model: Module,
    input: Tensor,
    request: { hidden: readonly string[]; attentionScores: readonly string[] },
  ): ForwardTaps;
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

/** A model with the row transformer's introspection API (`@mc/nn` RowTransformer and look-alikes). */
interface IntermediatesModel {
  forwardWithIntermediates(input: Tensor): { logits: Tensor; hiddenStates: Tensor[]; attentionScores: Tensor[] };
  backwardWithIntermediates(
    gradLogits: Tensor,
    extra: { hiddenStates?: (Tensor | undefined)[]; attentionScores?: (Tensor | undefined)[] },
  ): Tensor;
}

function isIntermediatesModel(model: unknown): model is IntermediatesModel {
  const candidate = model as Partial<IntermediatesModel>;
  return (
    typeof candidate.forwardWithIntermediates === "function" &&
    typeof candidate.backwardWithIntermediates === "function"
  );
}

function tapIndex(name: string, prefix: string, count: number, argument: string): number {
  const match = new RegExp(`^${prefix}\\.(\\d+)$`).exec(name);
  const index = match ? Number(match[1]) : -1;
  if (index < 0 || index >= count) {
    throw new InvalidArgumentError({
      message: `distill: "${name}" is not a tap of this model; use ${prefix}.0 … ${prefix}.${count - 1}`,
      argument,
      value: name,
    });
  }
  return index;
}

/**
 * Taps of a transformer with `forwardWithIntermediates`/`backwardWithIntermediates` (the
 * `@mc/nn` RowTransformer): `hiddenStates.0` is the embedding output, `hiddenStates.<i + 1>`
 * the output of block i, `attentionScores.<i>` block i's pre-softmax scores.
 */
export const transformerAdapter: ModelAdapter = {
  forward(model, input, request) {
    if (!isIntermediatesModel(model)) {
      throw new InvalidArgumentError({
        message: `distill: ${model.constructor.name} has no forwardWithIntermediates/backwardWithIntermediates`,
        argument: "options.adapter",
      });
    }
    const result = model.forwardWithIntermediates(input);
    const hidden = new Map<string, Tensor>();
    const attentionScores = new Map<string, Tensor>();
    for (const name of request.hidden) {
      hidden.set(
        name,
        result.hiddenStates[
          tapIndex(name, "hiddenStates", result.hiddenStates.length, "options.hiddenPairs")
        ] as Tensor,
      );
    }
    for (const name of request.attentionScores) {
      const index = tapIndex(name, "attentionScores", result.attentionScores.length, "options.attentionPairs");
      attentionScores.set(name, result.attentionScores[index] as Tensor);
    }
    return { logits: result.logits, hidden, attentionScores };
  },
  backward(model, gradLogits, gradients) {
    const target = model as unknown as IntermediatesModel;
    const hiddenStates: (Tensor | undefined)[] = [];
    const attentionScores: (Tensor | undefined)[] = [];
    for (const [name, gradient] of gradients.hidden) hiddenStates[Number(name.split(".")[1])] = gradient;
    for (const [name, gradient] of gradients.attentionScores) attentionScores[Number(name.split(".")[1])] = gradient;
    target.backwardWithIntermediates(gradLogits, { hiddenStates, attentionScores });
  },
};

/** Picks per model: Sequential → `sequentialAdapter`, transformer-like → `transformerAdapter`. */
export const autoAdapter: ModelAdapter = {
  forward(model, input, request) {
    return pick(model).forward(model, input, request);
  },
  backward(model, gradLogits, gradients) {
    pick(model).backward(model, gradLogits, gradients);
  },
};

function pick(model: Module): ModelAdapter {
  if (model instanceof RowTransformer || (!(model instanceof Sequential) && isIntermediatesModel(model)))
    return transformerAdapter;
  return sequentialAdapter;
}

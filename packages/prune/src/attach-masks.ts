import { InvalidArgumentError } from "@mc/core";
import { addParameterHook, type Module, type Parameter, type ParameterHook } from "@mc/nn";
import { assertMask } from "./validate";

/** Live pruning masks on a model; `detach()` removes every hook (the zeros stay). */
export interface AttachedMasks {
  /** Current mask of each masked parameter (1 = kept). Replace through `setMask`. */
  readonly masks: Readonly<Record<string, Uint8Array>>;
  /** Swaps in a new mask for one parameter and zeros the newly pruned stored weights. */
  setMask(name: string, mask: Uint8Array): void;
  detach(): void;
}

/**
 * Keeps pruned weights exactly zero while a model trains, through three `@mc/nn` parameter
 * hooks per masked parameter:
 *   - forward: the layer multiplies by W ⊙ mask (so even an edited stored value cannot leak);
 *   - backward: the gradient reaching the stored value is g ⊙ mask (so momentum never builds up
 *     on a pruned weight);
 *   - afterStep: stored entries under mask 0 are reset to +0 (weight decay or Adam's update from
 *     stale state cannot revive them).
 * The model is stateful, so attaching also zeros its pruned stored weights at once.
 */
export function attachPruningMasks(model: Module, masks: Record<string, Uint8Array>): AttachedMasks {
  const caller = "attachPruningMasks";
  if (typeof masks !== "object" || masks === null) {
    throw new InvalidArgumentError({ message: `${caller}: masks must be a record of name → mask`, argument: "masks" });
  }
  const current: Record<string, Uint8Array> = {};
  const removers: (() => void)[] = [];
  const checked = Object.entries(masks).map(([name, mask]) => {
    const parameter = model.getParameter(name);
    assertMask(mask, parameter.value.shape, parameter.value.data.length, caller, `masks["${name}"]`);
    return [name, parameter, mask] as const;
  });
  for (const [name, parameter, mask] of checked) {
    current[name] = mask.slice();
    zeroPruned(parameter, current[name]);
    const hook: ParameterHook = {
      forward(weight) {
        const m = current[name];
        const out = new Float32Array(weight.length);
        for (let i = 0; i < out.length; i++) out[i] = m[i] === 1 ? weight[i] : 0;
        return out;
      },
      backward(gradient) {
        const m = current[name];
        const out = new Float32Array(gradient.length);
        for (let i = 0; i < out.length; i++) out[i] = m[i] === 1 ? gradient[i] : 0;
        return out;
      },
      afterStep(p) {
        zeroPruned(p, current[name]);
      },
    };
    removers.push(addParameterHook(model, name, hook));
  }
  return {
    masks: current,
    setMask(name, mask) {
      if (!(name in current)) {
        throw new InvalidArgumentError({
          message: `attachPruningMasks.setMask: "${name}" has no attached mask; attached: ${Object.keys(current).join(", ")}`,
          argument: "name",
          value: name,
        });
      }
      const parameter = model.getParameter(name);
      assertMask(mask, parameter.value.shape, parameter.value.data.length, "attachPruningMasks.setMask", "mask");
      current[name] = mask.slice();
      zeroPruned(parameter, current[name]);
    },
    detach() {
      for (const remove of removers.splice(0)) remove();
    },
  };
}

function zeroPruned(parameter: Parameter, mask: Uint8Array): void {
  const data = parameter.value.data;
  for (let i = 0; i < data.length; i++) if (mask[i] === 0) data[i] = 0;
}

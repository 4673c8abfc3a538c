import { formatShape, InvalidArgumentError, isTensor, ShapeMismatchError, type Tensor } from "@mc/core";
import type { Module } from "./module";

/**
 * Every parameter as a named fp32 tensor (copies), keyed by its dotted name: the naming
 * safetensors files use, so `@mc/io` can write the record as is.
 */
export function saveParameters(model: Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const p of model.parameters()) out[p.name] = { data: p.value.data.slice(), shape: [...p.value.shape] };
  return out;
}

/**
 * Copies named tensors into the model's parameters. Unknown names, missing names (unless
 * `strict: false`) and shape mismatches are errors; nothing is written unless all checks pass.
 */
export function loadParameters(
  model: Module,
  tensors: Record<string, Tensor>,
  options: { strict?: boolean } = {},
): { loaded: string[]; missing: string[] } {
  const { strict = true } = options;
  const caller = "loadParameters";
  if (typeof tensors !== "object" || tensors === null) {
    throw new InvalidArgumentError({
      message: `${caller}: tensors must be a record of named tensors`,
      argument: "tensors",
    });
  }
  const byName = new Map(model.parameters().map((p) => [p.name, p]));
  for (const [name, tensor] of Object.entries(tensors)) {
    const p = byName.get(name);
    if (!p) {
      throw new InvalidArgumentError({
        message: `${caller}: unknown parameter name "${name}"; the model has ${[...byName.keys()].join(", ")}`,
        argument: "tensors",
        value: name,
      });
    }
    if (!isTensor(tensor)) {
      throw new InvalidArgumentError({
        message: `${caller}: "${name}" is not a tensor { data, shape }`,
        argument: "tensors",
        value: name,
      });
    }
    const same = tensor.shape.length === p.value.shape.length && tensor.shape.every((d, i) => d === p.value.shape[i]);
    if (!same) {
      throw new ShapeMismatchError({
        message: `${caller}: "${name}" has shape ${formatShape(tensor.shape)} but the model's parameter has shape ${formatShape(p.value.shape)}`,
        expected: p.value.shape,
        actual: tensor.shape,
      });
    }
  }
  const missing = [...byName.keys()].filter((name) => !(name in tensors));
  if (strict && missing.length > 0) {
    throw new InvalidArgumentError({
      message: `${caller}: missing parameters ${missing.join(", ")} (pass { strict: false } to allow)`,
      argument: "tensors",
      value: missing,
    });
  }
  const loaded: string[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    (byName.get(name) as { value: Tensor }).value.data.set(tensor.data);
    loaded.push(name);
  }
  return { loaded, missing };
}

import { assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { assertWeight } from "./validate";

export interface ProjectionWeights {
  /** [out, in] row-major (PyTorch layout). */
  weight: Tensor;
  bias?: Tensor;
}

export interface AttentionProjections {
  query: ProjectionWeights;
  key: ProjectionWeights;
  value: ProjectionWeights;
  /** Output projection [modelWidth, heads·headDim]: its input columns are grouped by head. */
  output: ProjectionWeights;
}

/**
 * Physical head removal on separate Q/K/V/output projections: head h owns rows
 * [h·headDim, (h+1)·headDim) of Q, K and V (and those bias entries) and the same columns of
 * the output projection. Keeping `keep` (ascending head indices) gives projections for
 * keep.length heads of the same headDim; the attention then computes exactly what the full
 * layer computes with the other heads masked to ξ = 0. The output bias is unchanged.
 */
export function sliceAttentionHeads(
  projections: AttentionProjections,
  options: { heads: number; keep: ArrayLike<number> },
): AttentionProjections {
  const caller = "sliceAttentionHeads";
  const { heads, keep } = options;
  assertInteger(heads, caller, "options.heads", { min: 1 });
  const kept = Array.from(keep);
  if (kept.length === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: options.keep is empty; removing every head of a layer is not supported`,
      argument: "options.keep",
      value: kept,
    });
  }
  kept.forEach((h, i) => {
    if (!Number.isInteger(h) || h < 0 || h >= heads || (i > 0 && h <= kept[i - 1])) {
      throw new InvalidArgumentError({
        message: `${caller}: options.keep must hold ascending head indices in [0, ${heads}), got ${h} at position ${i}`,
        argument: "options.keep",
        value: kept,
      });
    }
  });
  const query = assertWeight(projections.query?.weight, caller, "projections.query.weight");
  const [width, modelWidth] = query.shape;
  if (query.shape.length !== 2 || width % heads !== 0) {
    throw new ShapeMismatchError({
      message: `${caller}: query weight ${formatShape(query.shape)} must be [heads·headDim, modelWidth] with heads = ${heads}`,
      actual: query.shape,
    });
  }
  const headDim = width / heads;
  const rows: number[] = [];
  for (const h of kept) for (let d = 0; d < headDim; d++) rows.push(h * headDim + d);

  const sliceRows = (p: ProjectionWeights, name: string): ProjectionWeights => {
    const w = assertWeight(p?.weight, caller, `projections.${name}.weight`);
    if (w.shape.length !== 2 || w.shape[0] !== width) {
      throw new ShapeMismatchError({
        message: `${caller}: ${name} weight has shape ${formatShape(w.shape)}, expected [${width}, in]`,
        expected: [width, modelWidth],
        actual: w.shape,
      });
    }
    const cols = w.shape[1];
    const data = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => {
      data.set(w.data.subarray(r * cols, (r + 1) * cols), i * cols);
    });
    const out: ProjectionWeights = { weight: { data, shape: [rows.length, cols] } };
    if (p.bias) {
      const b = assertWeight(p.bias, caller, `projections.${name}.bias`);
      if (b.data.length !== width) {
        throw new ShapeMismatchError({
          message: `${caller}: ${name} bias has shape ${formatShape(b.shape)}, expected [${width}]`,
          expected: [width],
          actual: b.shape,
        });
      }
      out.bias = { data: Float32Array.from(rows, (r) => b.data[r]), shape: [rows.length] };
    }
    return out;
  };

  const output = assertWeight(projections.output?.weight, caller, "projections.output.weight");
  if (output.shape.length !== 2 || output.shape[1] !== width) {
    throw new ShapeMismatchError({
      message: `${caller}: output weight has shape ${formatShape(output.shape)}, expected [out, ${width}]`,
      actual: output.shape,
    });
  }
  const outRows = output.shape[0];
  const outData = new Float32Array(outRows * rows.length);
  for (let r = 0; r < outRows; r++) {
    rows.forEach((c, i) => {
      outData[r * rows.length + i] = output.data[r * width + c];
    });
  }
  const sliced: AttentionProjections = {
    query: sliceRows(projections.query, "query"),
    key: sliceRows(projections.key, "key"),
    value: sliceRows(projections.value, "value"),
    output: { weight: { data: outData, shape: [outRows, rows.length] } },
  };
  if (projections.output.bias) {
    const b = assertWeight(projections.output.bias, caller, "projections.output.bias");
    sliced.output.bias = { data: b.data.slice(), shape: [...b.shape] };
  }
  return sliced;
}

import { createRng, InvalidArgumentError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectMcError } from "../test/helpers";
import { smallMlp } from "../test/models";
import { dequantize } from "./dequantize";
import { GptqHessian, gptqQuantize, quantizeRoundToNearest } from "./gptq";
import { quantizeModelGptq } from "./gptq-model";
import { choleskyInverse, choleskyLower, choleskyUpper } from "./linear-algebra";

/** Inputs with strongly correlated features (a low-rank mix plus noise), the case where GPTQ's updates matter. */
function correlatedInputs(rows: number, columns: number, seed: number) {
  const rng = createRng(seed);
  const factors = 6;
  const mix = Float64Array.from({ length: factors * columns }, () => rng.normal());
  const data = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: factors }, () => rng.normal());
    for (let c = 0; c < columns; c++) {
      let v = 0.3 * rng.normal();
      for (let f = 0; f < factors; f++) v += (z[f] as number) * (mix[f * columns + c] as number);
      data[r * columns + c] = v;
    }
  }
  return { data, shape: [rows, columns] };
}

function randomWeight(rows: number, columns: number, seed: number) {
  const rng = createRng(seed);
  return { data: Float32Array.from({ length: rows * columns }, () => rng.normal() * 0.1), shape: [rows, columns] };
}

/** ‖X·Wᵀ − X·Ŵᵀ‖² summed over the calibration rows. */
function outputError(x: { data: Float32Array; shape: number[] }, w: Float32Array, approx: Float32Array) {
  const [n, k] = x.shape as [number, number];
  const out = w.length / k;
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let d = 0;
      for (let c = 0; c < k; c++)
        d += (x.data[r * k + c] as number) * ((w[o * k + c] as number) - (approx[o * k + c] as number));
      total += d * d;
    }
  }
  return total;
}

describe("Cholesky helpers", () => {
  it("L·Lᵀ = A, A·A⁻¹ = I and Uᵀ·U = A on a random SPD matrix", () => {
    const n = 7;
    const rng = createRng(3);
    const b = Float64Array.from({ length: n * n }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < n; k++) a[i * n + j] += (b[i * n + k] as number) * (b[j * n + k] as number);
    for (let i = 0; i < n; i++) a[i * n + i] += 0.5;
    const l = choleskyLower(a, n);
    const inv = choleskyInverse(l, n);
    const u = choleskyUpper(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let llt = 0;
        let prod = 0;
        let utu = 0;
        for (let k = 0; k < n; k++) {
          llt += (l[i * n + k] as number) * (l[j * n + k] as number);
          prod += (a[i * n + k] as number) * (inv[k * n + j] as number);
          utu += (u[k * n + i] as number) * (u[k * n + j] as number);
        }
        expect(llt).toBeCloseTo(a[i * n + j] as number, 9);
        expect(prod).toBeCloseTo(i === j ? 1 : 0, 9);
        expect(utu).toBeCloseTo(a[i * n + j] as number, 9);
      }
    }
  });
});

describe("gptqQuantize", () => {
  const x = correlatedInputs(512, 48, 1);
  const weight = randomWeight(24, 48, 2);
  const hessian = new GptqHessian(48);
  hessian.addBatch({ data: x.data.subarray(0, 256 * 48), shape: [256, 48] });
  hessian.addBatch({ data: x.data.subarray(256 * 48), shape: [256, 48] });

  it("accumulates H = 2/n · XᵀX over batches", () => {
    let h01 = 0;
    for (let r = 0; r < 512; r++) h01 += (x.data[r * 48] as number) * (x.data[r * 48 + 1] as number);
    expect(hessian.samples).toBe(512);
    expect(hessian.matrix[1]).toBeCloseTo((2 / 512) * h01, 3);
  });

  for (const options of [
    { bits: 4 as const },
    { bits: 4 as const, groupSize: 16 },
    { bits: 4 as const, groupSize: 16, actOrder: true },
    { bits: 4 as const, symmetric: true, actOrder: true },
    { bits: 8 as const },
  ]) {
    it(`lowers the layer-output error on calibration data versus round-to-nearest (${JSON.stringify(options)})`, () => {
      const gptq = gptqQuantize(weight, hessian, options);
      const rtn = quantizeRoundToNearest(weight, options);
      const gptqError = outputError(x, weight.data, dequantize(gptq.quantized).data);
      const rtnError = outputError(x, weight.data, dequantize(rtn.quantized).data);
      expect(gptqError).toBeLessThan(0.8 * rtnError);
      expect(gptq.quantized.scale.length).toBe(options.groupSize ? 24 * 3 : 24);
    });
  }

  it("with H = c·I there is nothing to compensate: GPTQ equals round-to-nearest exactly", () => {
    const identity = new Float64Array(48 * 48);
    for (let i = 0; i < 48; i++) identity[i * 48 + i] = 3;
    for (const options of [{ bits: 4 as const }, { bits: 4 as const, groupSize: 8 }]) {
      const gptq = gptqQuantize(weight, identity, options);
      const rtn = quantizeRoundToNearest(weight, options);
      expect(Array.from(gptq.quantized.data)).toEqual(Array.from(rtn.quantized.data));
      expect(Array.from(gptq.quantized.scale)).toEqual(Array.from(rtn.quantized.scale));
    }
  });

  it("zeroes dead inputs (zero Hessian diagonal) like the reference", () => {
    const h = hessian.matrix.slice();
    for (let j = 0; j < 48; j++) {
      h[5 * 48 + j] = 0;
      h[j * 48 + 5] = 0;
    }
    const back = dequantize(gptqQuantize(weight, h).quantized).data;
    for (let r = 0; r < 24; r++) expect(Math.abs(back[r * 48 + 5] as number)).toBeLessThanOrEqual(0.1);
  });

  it("rejects bad bits, group sizes and Hessian sizes", () => {
    expectMcError(() => gptqQuantize(weight, hessian, { bits: 3 as never }), InvalidArgumentError, "options.bits");
    expectMcError(
      () => gptqQuantize(weight, hessian, { groupSize: 5 }),
      InvalidArgumentError,
      "groupSize 5",
      "48 input columns",
    );
    expectMcError(() => gptqQuantize(weight, new Float64Array(4)), ShapeMismatchError, "hessian must be 48×48");
  });
});

describe("quantizeModelGptq", () => {
  it("quantizes every Linear of a Sequential in order and beats round-to-nearest on the model's outputs", () => {
    const model = smallMlp(4);
    const calibration = [correlatedInputs(256, 12, 7)];
    const before = model.getParameter("fc1.weight").value.data.slice();
    const gptq = quantizeModelGptq(model, calibration, { bits: 4 });
    const rtn = quantizeModelGptq(model, calibration, { bits: 4, method: "rtn" });
    expect(Object.keys(gptq.layers)).toEqual(["fc1.weight", "fc2.weight"]);
    expect(Array.from(model.getParameter("fc1.weight").value.data)).toEqual(Array.from(before));
    const outputWith = (layers: typeof gptq.layers) => {
      const saved = model.parameters().map((p) => p.value.data.slice());
      for (const [name, r] of Object.entries(layers))
        model.getParameter(name).value.data.set(dequantize(r.quantized).data);
      const out = model.forward(calibration[0] as { data: Float32Array; shape: number[] }).data;
      for (const [i, p] of model.parameters().entries()) p.value.data.set(saved[i] as Float32Array);
      return out;
    };
    const reference = model.forward(calibration[0] as { data: Float32Array; shape: number[] }).data;
    const err = (out: Float32Array) => out.reduce((s, v, i) => s + (v - (reference[i] as number)) ** 2, 0);
    expect(err(outputWith(gptq.layers))).toBeLessThan(err(outputWith(rtn.layers)));
  });
});

import { roundHalfEven, UnsupportedError } from "@mc/core";
import { Linear, ReLU, Sequential } from "@mc/nn";
import { describe, expect, it } from "vitest";
import { expectMcError } from "../test/helpers";
import { randomBatch, smallCnn, smallMlp } from "../test/models";
import type { QParams } from "./choose-qparams";
import { dequantize } from "./dequantize";
import { DynamicQuantizedLinear, quantizeDynamic } from "./dynamic-ptq";
import { dynamicQuantizeLinear } from "./dynamic-quantize-linear";
import { calibrateActivations, planStatic, quantizeStatic } from "./static-ptq";
import { quantizeWeightInt8 } from "./weight-quantization";

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

describe("quantizeDynamic", () => {
  it("equals a float64 reference of the same integer arithmetic (DynamicQuantizeLinear activations, int8 weights)", () => {
    const model = smallMlp();
    const x = randomBatch([7, 12], 3);
    const q = quantizeDynamic(model);
    const fc1 = q.layers[0]?.[1] as DynamicQuantizedLinear;
    expect(fc1).toBeInstanceOf(DynamicQuantizedLinear);
    const got = fc1.forward(x).data;
    const a = dynamicQuantizeLinear(x);
    const w = fc1.weight;
    const bias = fc1.bias as Float32Array;
    for (let r = 0; r < 7; r++) {
      for (let o = 0; o < 16; o++) {
        let acc = 0;
        for (let k = 0; k < 12; k++)
          acc += ((a.data[r * 12 + k] as number) - a.zeroPoint) * (w.data[o * 12 + k] as number);
        const expected = acc * a.scale * (w.scale[o] as number) + (bias[o] as number);
        const actual = got[r * 16 + o] as number;
        if (Math.abs(actual - expected) > 1e-5 * Math.max(1, Math.abs(expected))) {
          expect.fail(`row ${r}, out ${o} of shape [7, 16]: got ${actual}, expected ${expected}`);
        }
      }
    }
  });

  it("stays close to the float model, keeps ReLU float, and leaves the float model untouched", () => {
    const model = smallMlp();
    const before = model.getParameter("fc1.weight").value.data.slice();
    const x = randomBatch([9, 12], 4);
    const float = model.forward(x).data;
    const q = quantizeDynamic(model);
    expect(q.layers[1]?.[1]).toBeInstanceOf(ReLU);
    expect(maxAbsDiff(q.forward(x).data, float)).toBeLessThan(0.03);
    expect(Array.from(model.getParameter("fc1.weight").value.data)).toEqual(Array.from(before));
  });

  it("per-channel weights beat per-tensor when rows have very different ranges", () => {
    const layer = new Linear(16, 8, { seed: 2 });
    const w = layer.weight.value.data;
    for (let o = 0; o < 8; o++) for (let k = 0; k < 16; k++) w[o * 16 + k] = (w[o * 16 + k] as number) * 2 ** (o - 4);
    const model = new Sequential({ fc: layer });
    const x = randomBatch([32, 16], 5);
    const float = model.forward(x).data;
    // Error of each output relative to its row's magnitude: per-tensor scales crush the small rows.
    const err = (perChannel: boolean) => {
      const out = quantizeDynamic(model, { perChannel }).forward(x).data;
      let s = 0;
      for (let i = 0; i < out.length; i++) s += (((out[i] as number) - (float[i] as number)) / 2 ** ((i % 8) - 4)) ** 2;
      return s;
    };
    expect(err(true)).toBeLessThan(err(false) / 4);
  });

  it("counts storage: int8 weights + fp32 per-channel scales + fp32 bias; backward is unsupported", () => {
    const q = quantizeDynamic(smallMlp());
    expect(q.storageBytes()).toBe(12 * 16 + 4 * 16 + 4 * 16 + (16 * 5 + 4 * 5 + 4 * 5));
    expect(quantizeDynamic(smallMlp(), { perChannel: false }).storageBytes()).toBe(
      12 * 16 + 4 + 4 * 16 + (16 * 5 + 4 + 4 * 5),
    );
    expectMcError(() => q.backward({ data: new Float32Array(5), shape: [1, 5] }), UnsupportedError, "inference only");
  });
});

describe("quantizeWeightInt8", () => {
  it("uses max|w| / 127 per row, zero point 0, and round-trips within half a step", () => {
    const w = { data: Float32Array.of(0.5, -1.27, 0.01, 2.54, -0.3, 1), shape: [2, 3] };
    const q = quantizeWeightInt8(w);
    expect(q.scale[0]).toBe(Math.fround(1.27 / 127));
    expect(q.scale[1]).toBe(Math.fround(2.54 / 127));
    expect(Array.from(q.data)).toEqual([50, -127, 1, 127, -15, 50]);
    const back = dequantize(q).data;
    for (let i = 0; i < 6; i++)
      expect(Math.abs((back[i] as number) - (w.data[i] as number))).toBeLessThanOrEqual(0.0101);
  });
});

/** Float simulation of the static pipeline: every tap quantize → dequantize, weights dequantized. */
function simulateStatic(
  model: Sequential,
  x: { data: Float32Array; shape: number[] },
  qparams: Record<string, QParams>,
) {
  const fq = (values: Float32Array, qp: QParams) => {
    const out = new Float32Array(values.length);
    for (let i = 0; i < out.length; i++) {
      const q = Math.min(255, Math.max(0, roundHalfEven(Math.fround((values[i] as number) / qp.scale)) + qp.zeroPoint));
      out[i] = (q - qp.zeroPoint) * qp.scale;
    }
    return out;
  };
  const saved = new Map<string, Float32Array>();
  for (const p of model.parameters()) {
    if (p.kind !== "linear.weight" && p.kind !== "conv.weight") continue;
    saved.set(p.name, p.value.data.slice());
    const rows = p.value.shape[0] as number;
    const q = quantizeWeightInt8({ data: p.value.data, shape: [rows, p.value.data.length / rows] });
    p.value.data.set(dequantize(q).data);
  }
  try {
    let y: { data: Float32Array; shape: readonly number[] } = {
      data: fq(x.data, qparams.input as QParams),
      shape: x.shape,
    };
    for (const [name, child] of model.children()) {
      y = child.forward(y) as typeof y;
      if (qparams[name]) y = { data: fq(y.data, qparams[name] as QParams), shape: y.shape };
    }
    return y.data;
  } finally {
    for (const p of model.parameters()) {
      const original = saved.get(p.name);
      if (original) p.value.data.set(original);
    }
  }
}

describe("quantizeStatic", () => {
  it("plans quantization points: input, fused conv/linear + ReLU outputs; logits stay float", () => {
    const plan = planStatic(smallCnn());
    expect(plan.taps).toEqual(["input", "relu1", "relu2"]);
    expect(plan.steps.map((s) => s.kind)).toEqual(["conv", "maxpool", "flatten", "linear", "linear"]);
    expect(plan.steps[4]?.outputTap).toBeUndefined();
  });

  for (const observer of ["minmax", "histogram", "entropy", "percentile", "moving-average"] as const) {
    it(`CNN (conv, ReLU, pool, flatten, linear) with ${observer} calibration equals its float simulation (to float rounding)`, () => {
      const model = smallCnn();
      const calibration = [randomBatch([16, 1, 8, 8], 10, 0, 1), randomBatch([16, 1, 8, 8], 11, 0, 1)];
      const q = quantizeStatic(model, calibration, { observer });
      const x = randomBatch([6, 1, 8, 8], 12, 0, 1);
      const got = q.forward(x).data;
      const simulated = simulateStatic(model, x, q.activationQParams as Record<string, QParams>);
      const float = model.forward(x).data;
      // The integer pipeline and the simulation differ only in float summation order (~3e-8 here). A
      // requantized value flipped across a rounding boundary would show as a whole step (≥ 1e-4)
      // and fail this; the quantization error itself (vs fp32) is ~1e-3.
      expect(maxAbsDiff(got, simulated)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(got, float)).toBeLessThan(0.01);
    });
  }

  it("calibration observes exactly the planned taps and the qparams are those of the observer", () => {
    const model = smallMlp();
    const batch = randomBatch([20, 12], 13);
    const plan = planStatic(model);
    expect(plan.taps).toEqual(["input", "relu1"]);
    const qparams = calibrateActivations(model, [batch], plan.taps, "minmax");
    let max = 0;
    for (const v of model.forwardWithIntermediates(batch).outputs[1]?.data ?? []) max = Math.max(max, v);
    expect(qparams.relu1).toEqual({ scale: Math.fround(max / 255), zeroPoint: 0 });
  });

  it("storage counts int8 weights, fp32 scales and biases, and 8 bytes per activation tap", () => {
    const q = quantizeStatic(smallMlp(), [randomBatch([4, 12], 14)]);
    expect(q.storageBytes()).toBe(8 + (12 * 16 + 4 * 16 + 4 * 16 + 8) + (16 * 5 + 4 * 5 + 4 * 5));
  });
});

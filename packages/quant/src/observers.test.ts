import { createRng, InvalidArgumentError, McError, ShapeMismatchError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { expectMcError, tensor } from "../test/helpers";
import { chooseQParams } from "./choose-qparams";
import { dequantize } from "./dequantize";
import { EntropyObserver, searchEntropyThreshold } from "./entropy-observer";
import { HistogramObserver, histogramQuantizationError } from "./histogram-observer";
import { MinMaxObserver, MovingAverageMinMaxObserver } from "./min-max-observer";
import { PerChannelMinMaxObserver } from "./per-channel-min-max-observer";
import { PercentileObserver } from "./percentile-observer";
import { quantizationError } from "./quantization-error";
import { quantizePerTensor } from "./quantize-per-tensor";

function normalBatch(n: number, seed: number, sigma = 1, mean = 0) {
  const rng = createRng(seed);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = mean + sigma * rng.normal();
  return { data, shape: [n] };
}

describe("MinMaxObserver", () => {
  it("keeps the running min and max over batches and uses chooseQParams", () => {
    const o = new MinMaxObserver();
    o.observe(tensor([-1, 0.5]));
    o.observe(tensor([0.25, 3]));
    o.observe({ data: new Float32Array(0), shape: [0] });
    expect(o.range()).toEqual({ min: -1, max: 3 });
    expect(o.count).toBe(4);
    expect(o.computeQParams()).toEqual(chooseQParams({ min: -1, max: 3 }, { dtype: "uint8" }));
    o.reset();
    expectMcError(() => o.range(), McError, "no values have been observed");
  });

  it("rejects NaN batches and bad options", () => {
    expectMcError(
      () => new MinMaxObserver().observe(tensor([Number.NaN])),
      InvalidArgumentError,
      "MinMaxObserver.observe",
    );
    expectMcError(() => new MinMaxObserver({ dtype: "fp8" as never }), InvalidArgumentError, "dtype");
  });
});

describe("MovingAverageMinMaxObserver", () => {
  it("follows PyTorch's update min += 0.01 * (batchMin - min), first batch taken as is", () => {
    const o = new MovingAverageMinMaxObserver();
    o.observe(tensor([-1, 1]));
    o.observe(tensor([-3, 2]));
    const { min, max } = o.range();
    expect(min).toBe(Math.fround(-1 + Math.fround(0.01 * -2)));
    expect(max).toBe(Math.fround(1 + Math.fround(Math.fround(0.01) * 1)));
    expect(min).toBeCloseTo(-1.02, 6);
    expect(max).toBeCloseTo(1.01, 6);
  });

  it("rejects an averaging constant outside (0, 1]", () => {
    expectMcError(
      () => new MovingAverageMinMaxObserver({ averagingConstant: 0 }),
      InvalidArgumentError,
      "averagingConstant",
    );
    expectMcError(
      () => new MovingAverageMinMaxObserver({ averagingConstant: 2 }),
      InvalidArgumentError,
      "averagingConstant",
    );
  });
});

describe("PerChannelMinMaxObserver", () => {
  it("tracks min/max per channel on axis 0 and axis 1 (hand-computed)", () => {
    const o = new PerChannelMinMaxObserver();
    o.observe(tensor([1, -2, 3, -4, 5, 6], [2, 3]));
    o.observe(tensor([0, 9, 0, -1, -1, -1], [2, 3]));
    expect(Array.from(o.range().min)).toEqual([-2, -4]);
    expect(Array.from(o.range().max)).toEqual([9, 6]);
    const q = o.computeQParams();
    expect(q.scales[0]).toBe(Math.fround(9 / 127.5));
    expect(Array.from(q.zeroPoints)).toEqual([0, 0]);
    const columns = new PerChannelMinMaxObserver({ axis: 1, dtype: "uint8", symmetric: false });
    columns.observe(tensor([1, -2, 3, -4, 5, 6], [2, 3]));
    expect(Array.from(columns.range().min)).toEqual([-4, -2, 3]);
    expect(Array.from(columns.range().max)).toEqual([1, 5, 6]);
  });

  it("rejects a batch with a different channel count and an out-of-range axis", () => {
    const o = new PerChannelMinMaxObserver();
    o.observe(tensor([1, 2], [2, 1]));
    expectMcError(
      () => o.observe(tensor([1, 2, 3], [3, 1])),
      ShapeMismatchError,
      "3 channels",
      "earlier batches had 2",
    );
    expectMcError(
      () => new PerChannelMinMaxObserver({ axis: 2 }).observe(tensor([1], [1])),
      InvalidArgumentError,
      "axis 2",
    );
  });
});

describe("HistogramObserver", () => {
  it("the closed-form L2 error equals a fine numerical integration of the same quantizer", () => {
    const counts = Float64Array.from([0, 3, 7, 1, 0, 4, 9, 2, 0, 5, 1, 0, 0, 2, 6, 3]);
    const binWidth = 0.25;
    for (const [start, end, dst] of [
      [0, 15, 4],
      [2, 12, 3],
      [5, 9, 8],
    ] as const) {
      const dstWidth = (binWidth * (end - start + 1)) / dst;
      let integral = 0;
      const steps = 4000;
      for (let b = 0; b < counts.length; b++) {
        const density = (counts[b] as number) / binWidth;
        for (let s = 0; s < steps; s++) {
          const t = (b - start + (s + 0.5) / steps) * binWidth; // position relative to the span start
          const dstBin = Math.min(dst - 1, Math.max(0, Math.floor(t / dstWidth)));
          const center = (dstBin + 0.5) * dstWidth;
          integral += density * (t - center) ** 2 * (binWidth / steps);
        }
      }
      const closed = histogramQuantizationError(counts, binWidth, start, end, dst);
      expect(closed / integral, `span [${start}, ${end}] onto ${dst} bins`).toBeCloseTo(1, 5);
    }
  });

  it("uniform data keeps (almost) its whole range", () => {
    const data = new Float32Array(20000);
    for (let i = 0; i < data.length; i++) data[i] = (i / data.length) * 2 - 0.5;
    const o = new HistogramObserver();
    o.observe({ data, shape: [data.length] });
    const { min, max } = o.range();
    expect(min).toBeLessThan(-0.49);
    expect(max).toBeGreaterThan(1.49);
  });

  it("int4: clips 10 outliers at 3 beyond a uniform [-1, 1] bulk, lowering the data's L2 error (hand-checked case)", () => {
    // Full range [-1, 3] on 16 levels: step 0.25, bulk error 20000·0.25²/12 ≈ 104. Clipped to
    // [-1, 1]: step 0.125, bulk ≈ 26 plus 10 outliers · 2² = 40, so clipping wins.
    const data = new Float32Array(20010);
    for (let i = 0; i < 20000; i++) data[i] = ((i + 0.5) / 20000) * 2 - 1;
    data.fill(3, 20000);
    const batch = { data, shape: [data.length] };
    const histogram = new HistogramObserver({ dtype: "int4" });
    const minMax = new MinMaxObserver({ dtype: "int4" });
    histogram.observe(batch);
    minMax.observe(batch);
    expect(histogram.range().max).toBeLessThan(1.5);
    expect(histogram.range().min).toBeCloseTo(-1, 2);
    const errorOf = ({ scale, zeroPoint }: { scale: number; zeroPoint: number }) =>
      quantizationError(batch, dequantize(quantizePerTensor(batch, scale, zeroPoint, "int4"))).meanSquaredError;
    expect(errorOf(histogram.computeQParams())).toBeLessThan(0.8 * errorOf(minMax.computeQParams()));
  });

  it("a single far outlier among Gaussian data is kept: clipping it would cost more L2 than it saves", () => {
    const batch = normalBatch(20000, 1);
    batch.data[7] = 40;
    const o = new HistogramObserver();
    o.observe(batch);
    expect(o.range().max).toBeGreaterThan(39);
  });

  it("incremental batches that widen the range give nearly the range of one concatenated batch", () => {
    const a = normalBatch(10000, 2, 1);
    const b = normalBatch(10000, 3, 2, 1);
    const split = new HistogramObserver();
    split.observe(a);
    split.observe(b);
    const whole = new HistogramObserver();
    const joined = new Float32Array(20000);
    joined.set(a.data);
    joined.set(b.data, 10000);
    whole.observe({ data: joined, shape: [20000] });
    expect(split.count).toBe(20000);
    const r1 = split.range();
    const r2 = whole.range();
    const span = r2.max - r2.min;
    expect(Math.abs(r1.min - r2.min)).toBeLessThan(0.05 * span);
    expect(Math.abs(r1.max - r2.max)).toBeLessThan(0.05 * span);
  });

  it("a constant tensor gives its value as the range", () => {
    const o = new HistogramObserver();
    o.observe(tensor([2, 2, 2]));
    expect(o.range()).toEqual({ min: 2, max: 2 });
    expect(o.computeQParams()).toEqual(chooseQParams({ min: 2, max: 2 }, { dtype: "uint8" }));
  });
});

describe("PercentileObserver", () => {
  it("matches the exact sorted percentile to within one bin width", () => {
    const batch = normalBatch(50000, 4);
    const o = new PercentileObserver({ percentile: 99 });
    o.observe(batch);
    const sorted = Array.from(batch.data).sort((x, y) => x - y);
    const width = (sorted[sorted.length - 1]! - sorted[0]!) / 2048;
    const { min, max } = o.range();
    expect(Math.abs(max - sorted[Math.floor(0.99 * sorted.length)]!)).toBeLessThanOrEqual(width);
    expect(Math.abs(min - sorted[Math.floor(0.01 * sorted.length)]!)).toBeLessThanOrEqual(width);
    expect(max).toBeCloseTo(2.326, 1); // the 99th percentile of N(0, 1)
  });

  it("rejects a percentile below 50 or above 100", () => {
    expectMcError(() => new PercentileObserver({ percentile: 101 }), InvalidArgumentError, "options.percentile");
  });
});

describe("EntropyObserver", () => {
  it("KL search keeps every bin when the distribution fits the levels exactly", () => {
    const counts = new Float64Array(256).fill(1);
    expect(searchEntropyThreshold(counts, 128)).toBeGreaterThanOrEqual(250);
  });

  it("clips a heavy tail: threshold far below the max on Gaussian data with outliers", () => {
    const batch = normalBatch(30000, 5);
    batch.data[3] = 50;
    const o = new EntropyObserver({ dtype: "int8", symmetric: true });
    o.observe(batch);
    const { min, max } = o.range();
    expect(min).toBe(-max);
    expect(max).toBeGreaterThan(2);
    expect(max).toBeLessThan(15);
    const q = o.computeQParams();
    expect(q.zeroPoint).toBe(0);
  });

  it("a spike of exact zeros (90% of the values) does not drag the threshold down (bins[0] = bins[1])", () => {
    const data = new Float32Array(20000);
    for (let i = 0; i < 2000; i++) data[i * 10] = (i + 0.5) / 2000; // uniform on (0, 1), the rest exactly 0
    const o = new EntropyObserver();
    o.observe({ data, shape: [data.length] });
    expect(o.range().min).toBe(0);
    expect(o.range().max).toBeGreaterThan(0.9);
  });

  it("non-negative data (ReLU outputs) gives a range starting at 0", () => {
    const batch = normalBatch(20000, 6);
    for (let i = 0; i < batch.data.length; i++) batch.data[i] = Math.max(0, batch.data[i] as number);
    const o = new EntropyObserver();
    o.observe(batch);
    expect(o.range().min).toBe(0);
    expect(o.range().max).toBeGreaterThan(1.5);
  });
});

import { describe, expect, it } from "vitest";
import { checkModuleGradients, randomTensor } from "../test/gradient-check";
import { Conv2d } from "./conv2d";
import { Dropout } from "./dropout";
import { Flatten } from "./flatten";
import { MaxPool2d } from "./max-pool2d";
import { createLenet5 } from "./models";

/** Direct 7-loop convolution, the slow oracle for the im2col path. */
function naiveConv(x: Float32Array, shape: number[], conv: Conv2d): Float32Array {
  const [batch, channels, height, width] = shape as [number, number, number, number];
  const { kernelSize: k, stride: s, padding: p, outChannels } = conv;
  const outH = Math.floor((height + 2 * p - k) / s) + 1;
  const outW = Math.floor((width + 2 * p - k) / s) + 1;
  const w = conv.weight.value.data;
  const bias = conv.bias?.value.data;
  const out = new Float32Array(batch * outChannels * outH * outW);
  for (let b = 0; b < batch; b++)
    for (let o = 0; o < outChannels; o++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let acc = bias ? (bias[o] as number) : 0;
          for (let c = 0; c < channels; c++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * s - p + ky;
                const ix = ox * s - p + kx;
                if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
                acc +=
                  (x[((b * channels + c) * height + iy) * width + ix] as number) *
                  (w[((o * channels + c) * k + ky) * k + kx] as number);
              }
          out[((b * outChannels + o) * outH + oy) * outW + ox] = acc;
        }
  return out;
}

describe("Conv2d", () => {
  for (const [stride, padding] of [
    [1, 0],
    [2, 1],
  ] as const) {
    it(`im2col forward equals the direct convolution (stride ${stride}, padding ${padding})`, () => {
      const conv = new Conv2d(2, 3, 3, { stride, padding, seed: 1 });
      const x = randomTensor([2, 2, 6, 5], 2);
      const y = conv.forward(x);
      const expected = naiveConv(x.data, [2, 2, 6, 5], conv);
      expect(y.data.length).toBe(expected.length);
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs((y.data[i] as number) - (expected[i] as number)), `index ${i} shape [${y.shape}]`).toBeLessThan(
          1e-5,
        );
      }
    });

    it(`gradients match finite differences (stride ${stride}, padding ${padding})`, () => {
      checkModuleGradients(new Conv2d(2, 3, 3, { stride, padding, seed: 3 }), randomTensor([2, 2, 5, 5], 4));
    });
  }

  it("runs parameter hooks: a masked kernel gives masked outputs and zero masked gradients", () => {
    const conv = new Conv2d(1, 2, 3, { seed: 5 });
    const mask = new Float32Array(18).map((_, i) => (i % 2 === 0 ? 1 : 0));
    conv.weight.hooks.push({
      forward: (w) => w.map((v, i) => v * (mask[i] as number)),
      backward: (g) => g.map((v, i) => v * (mask[i] as number)),
    });
    const x = randomTensor([1, 1, 5, 5], 6);
    const y = conv.forward(x);
    const reference = new Conv2d(1, 2, 3, { seed: 5 });
    reference.weight.value.data.set(conv.weight.value.data.map((v, i) => v * (mask[i] as number)));
    const expected = reference.forward(x);
    for (let i = 0; i < y.data.length; i++)
      expect(Math.abs((y.data[i] as number) - (expected.data[i] as number)), `index ${i}`).toBeLessThan(1e-6);
    conv.zeroGrad();
    conv.backward(randomTensor([...y.shape], 7));
    for (let i = 0; i < 18; i++) if (mask[i] === 0) expect(conv.weight.grad[i], `grad ${i}`).toBe(0);
  });

  it("rejects a wrong channel count and a too-small input", () => {
    const conv = new Conv2d(1, 2, 5);
    expect(() => conv.forward(randomTensor([1, 3, 8, 8], 1))).toThrowError(/expects \[batch, 1, height, width\]/);
    expect(() => conv.forward(randomTensor([1, 1, 4, 4], 1))).toThrowError(/smaller than the 5×5 kernel/);
  });
});

describe("MaxPool2d", () => {
  it("picks window maxima and routes gradients to them", () => {
    const pool = new MaxPool2d(2);
    const x = { data: new Float32Array([1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 0, 0, 9, 0, 0, 7]), shape: [1, 1, 4, 4] };
    const y = pool.forward(x);
    expect(Array.from(y.data)).toEqual([5, 8, 9, 7]);
    const g = pool.backward({ data: new Float32Array([1, 2, 3, 4]), shape: [1, 1, 2, 2] });
    expect(Array.from(g.data)).toEqual([0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4]);
  });

  it("gradients match finite differences (distinct values, stride 1 overlap)", () => {
    checkModuleGradients(new MaxPool2d(2, { stride: 1 }), randomTensor([2, 2, 4, 4], 8), { epsilon: 1e-3 });
  });
});

describe("Dropout and Flatten", () => {
  it("Dropout keeps about 1 − p, rescales, is seeded, and is the identity in eval mode", () => {
    const x = { data: new Float32Array(10000).fill(1), shape: [100, 100] };
    const a = new Dropout(0.3, { seed: 1 }).forward(x);
    const b = new Dropout(0.3, { seed: 1 }).forward(x);
    expect(a.data).toEqual(b.data);
    const kept = a.data.filter((v) => v !== 0);
    expect(Math.abs(kept.length / 10000 - 0.7)).toBeLessThan(0.02);
    expect(kept[0]).toBeCloseTo(1 / 0.7, 6);
    const drop = new Dropout(0.3);
    drop.eval();
    expect(drop.forward(x)).toBe(x);
    expect(() => new Dropout(1)).toThrowError(/below 1/);
  });

  it("Dropout backward applies the same mask", () => {
    const drop = new Dropout(0.5, { seed: 2 });
    const x = randomTensor([4, 8], 1);
    const y = drop.forward(x);
    const g = drop.backward({ data: new Float32Array(32).fill(1), shape: [4, 8] });
    for (let i = 0; i < 32; i++) expect(g.data[i] === 0, `index ${i}`).toBe(y.data[i] === 0);
  });

  it("Flatten round-trips shapes", () => {
    const f = new Flatten();
    expect(f.forward(randomTensor([3, 2, 2, 2], 1)).shape).toEqual([3, 8]);
    expect(f.backward(randomTensor([3, 8], 1)).shape).toEqual([3, 2, 2, 2]);
  });
});

describe("createLenet5", () => {
  it("has Deep Compression's 431,080 parameters and maps [n,1,28,28] to [n,10]", () => {
    const model = createLenet5({ seed: 1 });
    const count = model.parameters().reduce((n, p) => n + p.value.data.length, 0);
    expect(count).toBe(431080);
    expect(model.parameters().map((p) => p.name)).toEqual([
      "conv1.weight",
      "conv1.bias",
      "conv2.weight",
      "conv2.bias",
      "fc1.weight",
      "fc1.bias",
      "fc2.weight",
      "fc2.bias",
    ]);
    expect(model.getParameter("conv1.weight").kind).toBe("conv.weight");
    expect(model.forward(randomTensor([2, 1, 28, 28], 1)).shape).toEqual([2, 10]);
  });
});

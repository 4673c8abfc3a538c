/**
 * Forward and backward of every layer cross-checked against TensorFlow.js (CPU backend) on
 * random inputs. TF.js computes the gradients by its own autodiff, so agreement checks both
 * our forward formulas and our hand-written backward passes. Tolerance: fp32 round-off only
 * (absolute 1e-4 on values of order 1).
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core registers gradients only on request (the layers/converter bundles do it for apps).
import "@tensorflow/tfjs-core/dist/register_all_gradients";
import { createRng, type Tensor } from "@mc/core";
import { beforeAll, describe, expect, it } from "vitest";
import { GELU } from "../src/activations";
import { Conv2d } from "../src/conv2d";
import { LayerNorm } from "../src/layer-norm";
import { Linear } from "../src/linear";
import { softmaxCrossEntropy } from "../src/losses";
import { MaxPool2d } from "../src/max-pool2d";
import { MultiHeadAttention } from "../src/multi-head-attention";
import { randomTensor } from "./gradient-check";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  shape: readonly number[],
  tolerance = 1e-4,
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tolerance * Math.max(1, Math.abs(e)))) {
      expect.fail(`${what}[${i}] mc ${a} vs tfjs ${e} (shape [${shape}])`);
    }
  }
}

function tfTensor(t: Tensor): tf.Tensor {
  return tf.tensor(t.data, [...t.shape]);
}

describe("TF.js oracle", () => {
  it("Linear forward and gradients", () => {
    const layer = new Linear(7, 5, { seed: 1 });
    const x = randomTensor([4, 7], 2);
    const dy = randomTensor([4, 5], 3);
    const y = layer.forward(x);
    layer.zeroGrad();
    const dx = layer.backward(dy);
    const w = tfTensor(layer.weight.value);
    const b = tfTensor(layer.bias?.value as Tensor);
    const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.add(tf.matMul(xi, wi, false, true), bi);
    expectClose(y.data, f(tfTensor(x), w, b).dataSync(), "y", y.shape);
    const [gx, gw, gb] = tf.grads(f as (...args: tf.Tensor[]) => tf.Tensor)([tfTensor(x), w, b], tfTensor(dy));
    expectClose(dx.data, (gx as tf.Tensor).dataSync(), "dx", x.shape);
    expectClose(layer.weight.grad, (gw as tf.Tensor).dataSync(), "dW", [5, 7]);
    expectClose(layer.bias?.grad as Float32Array, (gb as tf.Tensor).dataSync(), "db", [5]);
  });

  for (const [stride, padding] of [
    [1, 0],
    [2, 1],
  ] as const) {
    it(`Conv2d forward and gradients (stride ${stride}, padding ${padding})`, () => {
      const conv = new Conv2d(3, 4, 3, { stride, padding, seed: 4 });
      const x = randomTensor([2, 3, 7, 6], 5);
      const y = conv.forward(x);
      const dy = randomTensor([...y.shape], 6);
      conv.zeroGrad();
      const dx = conv.backward(dy);
      // TF.js is NHWC with filters [kh, kw, in, out]
      const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => {
        const nhwc = tf.transpose(xi, [0, 2, 3, 1]) as tf.Tensor4D;
        const filter = tf.transpose(wi, [2, 3, 1, 0]) as tf.Tensor4D;
        const out = tf.add(tf.conv2d(nhwc, filter, stride, padding), bi);
        return tf.transpose(out, [0, 3, 1, 2]);
      };
      const args = [tfTensor(x), tfTensor(conv.weight.value), tfTensor(conv.bias?.value as Tensor)];
      expectClose(y.data, f(args[0] as tf.Tensor, args[1] as tf.Tensor, args[2] as tf.Tensor).dataSync(), "y", y.shape);
      const [gx, gw, gb] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)(args, tfTensor(dy));
      expectClose(dx.data, (gx as tf.Tensor).dataSync(), "dx", x.shape);
      expectClose(conv.weight.grad, (gw as tf.Tensor).dataSync(), "dW", conv.weight.value.shape);
      expectClose(conv.bias?.grad as Float32Array, (gb as tf.Tensor).dataSync(), "db", [4]);
    });
  }

  it("MaxPool2d forward and gradient", () => {
    const pool = new MaxPool2d(2);
    const x = randomTensor([2, 3, 6, 6], 7);
    const y = pool.forward(x);
    const dy = randomTensor([...y.shape], 8);
    const dx = pool.backward(dy);
    const f = (xi: tf.Tensor) =>
      tf.transpose(tf.maxPool(tf.transpose(xi, [0, 2, 3, 1]) as tf.Tensor4D, 2, 2, "valid"), [0, 3, 1, 2]);
    expectClose(y.data, f(tfTensor(x)).dataSync(), "y", y.shape);
    expectClose(dx.data, tf.grad(f)(tfTensor(x), tfTensor(dy)).dataSync(), "dx", x.shape);
  });

  it("LayerNorm forward and gradients", () => {
    const norm = new LayerNorm(8);
    createRng(1).fillUniform(norm.weight.value.data, 0.5, 1.5);
    createRng(2).fillUniform(norm.bias.value.data, -0.5, 0.5);
    const x = randomTensor([3, 4, 8], 9, 2);
    const y = norm.forward(x);
    const dy = randomTensor([3, 4, 8], 10);
    norm.zeroGrad();
    const dx = norm.backward(dy);
    const f = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
      const { mean, variance } = tf.moments(xi, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-5))), gi), bi);
    };
    const args = [tfTensor(x), tfTensor(norm.weight.value), tfTensor(norm.bias.value)];
    expectClose(y.data, f(args[0] as tf.Tensor, args[1] as tf.Tensor, args[2] as tf.Tensor).dataSync(), "y", y.shape);
    const [gx, gg, gb] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)(args, tfTensor(dy));
    expectClose(dx.data, (gx as tf.Tensor).dataSync(), "dx", x.shape, 2e-4);
    expectClose(norm.weight.grad, (gg as tf.Tensor).dataSync(), "dγ", [8]);
    expectClose(norm.bias.grad, (gb as tf.Tensor).dataSync(), "dβ", [8]);
  });

  it("GELU (exact erf form) forward and gradient", () => {
    const gelu = new GELU();
    const x = randomTensor([5, 9], 11, 4);
    const y = gelu.forward(x);
    const dy = randomTensor([5, 9], 12);
    const dx = gelu.backward(dy);
    const f = (xi: tf.Tensor) => tf.mul(tf.mul(xi, 0.5), tf.add(1, tf.erf(tf.mul(xi, Math.SQRT1_2))));
    expectClose(y.data, f(tfTensor(x)).dataSync(), "y", y.shape);
    expectClose(dx.data, tf.grad(f)(tfTensor(x), tfTensor(dy)).dataSync(), "dx", x.shape, 2e-4);
  });

  // The second case has an inner width (3 heads · 5) other than the model width 8, as after
  // physical head removal.
  it.each([
    { heads: 2, headWidth: undefined, seed: 13 },
    { heads: 3, headWidth: 5, seed: 17 },
  ])("MultiHeadAttention forward and gradients (heads $heads, headWidth $headWidth)", ({ heads, headWidth, seed }) => {
    const width = 8;
    const tokens = 5;
    const dh = headWidth ?? width / heads;
    const inner = heads * dh;
    const attention = new MultiHeadAttention(width, heads, { seed, headWidth });
    const x = randomTensor([2, tokens, width], seed + 1);
    const y = attention.forward(x);
    const dy = randomTensor([2, tokens, width], seed + 2);
    attention.zeroGrad();
    const dx = attention.backward(dy);
    const projection = (xi: tf.Tensor, w: tf.Tensor, b: tf.Tensor, inFeatures: number) =>
      tf.add(tf.matMul(tf.reshape(xi, [-1, inFeatures]), w, false, true), b);
    const splitHeads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [2, tokens, heads, dh]), [0, 2, 1, 3]);
    const f = (...args: tf.Tensor[]) => {
      const [xi, wq, bq, wk, bk, wv, bv, wo, bo] = args as [tf.Tensor, ...tf.Tensor[]];
      const q = splitHeads(projection(xi, wq as tf.Tensor, bq as tf.Tensor, width));
      const k = splitHeads(projection(xi, wk as tf.Tensor, bk as tf.Tensor, width));
      const v = splitHeads(projection(xi, wv as tf.Tensor, bv as tf.Tensor, width));
      const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh));
      const context = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [-1, inner]);
      return tf.reshape(projection(merged, wo as tf.Tensor, bo as tf.Tensor, inner), [2, tokens, width]);
    };
    const parameters = attention.parameters();
    expect(parameters.map((p) => p.value.shape)).toEqual([
      [inner, width],
      [inner],
      [inner, width],
      [inner],
      [inner, width],
      [inner],
      [width, inner],
      [width],
    ]);
    const args = [tfTensor(x), ...parameters.map((p) => tfTensor(p.value))];
    expectClose(y.data, f(...args).dataSync(), "y", y.shape);
    const grads = tf.grads(f)(args, tfTensor(dy));
    expectClose(dx.data, (grads[0] as tf.Tensor).dataSync(), "dx", x.shape, 2e-4);
    parameters.forEach((p, i) => {
      expectClose(p.grad, (grads[i + 1] as tf.Tensor).dataSync(), p.name, p.value.shape, 2e-4);
    });
  });

  it("softmax cross-entropy loss and gradient", () => {
    const logits = randomTensor([6, 10], 16, 5);
    const labels = new Uint8Array([0, 3, 9, 3, 5, 1]);
    const { loss, gradient } = softmaxCrossEntropy(logits, labels);
    const onehot = tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), 10);
    const f = (l: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, l);
    expect(Math.abs(loss - (f(tfTensor(logits)).dataSync()[0] as number))).toBeLessThan(1e-5);
    expectClose(gradient.data, tf.grad(f)(tfTensor(logits)).dataSync(), "dlogits", logits.shape, 1e-5);
  });
});

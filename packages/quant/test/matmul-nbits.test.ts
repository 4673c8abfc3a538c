import { createRng } from "@mc/core";
import { matmulNBits } from "@mc/kernels";
import { describe, expect, it } from "vitest";
import { dequantize } from "../src/dequantize";
import { gptqQuantize, quantizeRoundToNearest } from "../src/gptq";
import type { QuantizedTensor } from "../src/quant-dtype";
import { quantizeBlockwise } from "../src/quantize-blockwise";

// Cross-module check: 4-bit blockwise tensors from this package run unchanged in @mc/kernels'
// MatMulNBits (the onnxruntime layout), giving x·dequantize(W)ᵀ.

function packZeroPoints(q: QuantizedTensor, n: number, blocks: number): Uint8Array {
  const perRow = Math.ceil(blocks / 2);
  const out = new Uint8Array(n * perRow);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < blocks; b++) {
      const z = q.zeroPoint[r * blocks + b] as number;
      out[r * perRow + (b >> 1)] = (out[r * perRow + (b >> 1)] as number) | (z << (b & 1 ? 4 : 0));
    }
  }
  return out;
}

function reference(x: Float32Array, m: number, k: number, w: Float32Array, n: number) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++)
      for (let p = 0; p < k; p++) out[i * n + j] += (x[i * k + p] as number) * (w[j * k + p] as number);
  return out;
}

describe("uint4 blockwise tensors in @mc/kernels' matmulNBits", () => {
  const rng = createRng(7);
  const n = 6;
  const k = 64;
  const m = 3;
  const weight = { data: Float32Array.from({ length: n * k }, () => rng.normal() * 0.2), shape: [n, k] };
  const x = Float32Array.from({ length: m * k }, () => rng.normal());

  const cases: [string, () => QuantizedTensor][] = [
    ["quantizeBlockwise", () => quantizeBlockwise(weight, { blockSize: 16, dtype: "uint4" })],
    ["round-to-nearest groups", () => quantizeRoundToNearest(weight, { bits: 4, groupSize: 32 }).quantized],
    [
      "GPTQ groups",
      () => {
        const h = new Float64Array(k * k);
        for (let i = 0; i < k; i++) h[i * k + i] = 1 + i / k;
        return gptqQuantize(weight, h, { bits: 4, groupSize: 32 }).quantized;
      },
    ],
  ];
  for (const [label, make] of cases) {
    it(`${label}: matmulNBits(x, q) = x·dequantize(q)ᵀ`, () => {
      const q = make();
      const blockSize = q.blockSize as number;
      const blocks = k / blockSize;
      const y = matmulNBits(x, {
        m,
        k,
        n,
        weight: q.data as Uint8Array,
        scales: q.scale,
        zeroPoints: packZeroPoints(q, n, blocks),
        blockSize,
      });
      const expected = reference(x, m, k, dequantize(q).data, n);
      for (let i = 0; i < y.length; i++) {
        if (
          Math.abs((y[i] as number) - (expected[i] as number)) >
          1e-4 * Math.max(1, Math.abs(expected[i] as number))
        ) {
          expect.fail(`index ${i} of [${m}, ${n}]: kernel ${y[i]}, reference ${expected[i]}`);
        }
      }
    });
  }
});

import { describe, expect, it } from "vitest";
import {
  codebookLinear,
  dynamicQuantizeLinear,
  gemm,
  linearDynamicInt8,
  linearStaticInt8,
  matmulInteger,
  matmulNBits,
  packLinearInt8,
  sparseCodebookLinear,
  sparseLinear,
} from "../src/index";
import {
  dynamic_quantize_linear_f32u8__ref,
  gemm_f32__ref,
  gemm_f32lut__ref,
  linear_x8s8f32__ref,
  matmul_f32u4f32__ref,
  matmul_x8x8s32__ref,
  requantize_f32x8__ref,
  spmm_f32csr__ref,
} from "../src/ref/reference-kernels";
import { availableTiers } from "../src/select-kernel";
import { expectClose, expectExact, randomBytes, randomFloats, withTier } from "./helpers";

/**
 * One generated edge-case matrix per kernel family, run on every tier this runtime offers
 * against the `__ref` oracle: k = 1, k below/at/above the tiles (4×8 register tile, k packed
 * by 2 and 8), m < MR, n not a multiple of NR, extreme zero points and saturating values.
 */
const SHAPES: [number, number, number][] = [];
for (const m of [1, 2, 3, 4, 5, 9])
  for (const k of [1, 2, 7, 8, 9, 17]) for (const n of [1, 7, 8, 9, 17]) SHAPES.push([m, k, n]);
SHAPES.push([13, 64, 33], [33, 129, 40], [64, 300, 31], [2, 1000, 3]);

for (const tier of availableTiers()) {
  describe(`edge-case matrix on tier ${tier}`, () => {
    it("gemm matches gemm_f32__ref within 1e-5 relative for every transpose/alpha/beta case", () => {
      let seed = 1;
      for (const [m, k, n] of SHAPES) {
        for (const transposeA of [false, true]) {
          for (const transposeB of [false, true]) {
            const a = randomFloats(m * k, seed++);
            const b = randomFloats(k * n, seed++);
            const c0 = randomFloats(m * n, seed++);
            for (const [alpha, beta] of [
              [1, 0],
              [0.5, 2],
            ] as const) {
              const expected = c0.slice();
              gemm_f32__ref(a, b, expected, m, k, n, transposeA, transposeB, alpha, beta);
              const c = withTier(tier, () =>
                gemm(a, b, { m, k, n, transposeA, transposeB, alpha, beta, c: c0.slice() }),
              );
              expectClose(c, expected, [m, k, n], {
                rtol: 1e-5,
                atol: 1e-5 * Math.sqrt(k),
                what: `gemm tA=${transposeA} tB=${transposeB} α=${alpha} β=${beta}`,
              });
            }
          }
        }
      }
    });

    it("matmulInteger is bit-exact with matmul_x8x8s32__ref for all signedness combos and extreme zero points", () => {
      let seed = 100;
      for (const [m, k, n] of SHAPES) {
        for (const aSigned of [false, true]) {
          for (const bSigned of [false, true]) {
            const a = randomBytes(aSigned ? Int8Array : Uint8Array, m * k, seed++);
            const b = randomBytes(bSigned ? Int8Array : Uint8Array, k * n, seed++);
            const aLimits = aSigned ? [-128, 127] : [0, 255];
            const bLimits = bSigned ? [-128, 127] : [0, 255];
            const zeroCases: [number | Int32Array, number | Int32Array][] = [
              [0, 0],
              [aLimits[1]!, bLimits[0]!],
              [aLimits[0]!, bLimits[1]!],
              [
                Int32Array.from({ length: m }, (_, i) => aLimits[i % 2]!),
                Int32Array.from({ length: n }, (_, j) => bLimits[(j + 1) % 2]!),
              ],
            ];
            for (const [aZeroPoint, bZeroPoint] of zeroCases) {
              const aZ = typeof aZeroPoint === "number" ? new Int32Array(m).fill(aZeroPoint) : aZeroPoint;
              const bZ = typeof bZeroPoint === "number" ? new Int32Array(n).fill(bZeroPoint) : bZeroPoint;
              const expected = new Int32Array(m * n);
              matmul_x8x8s32__ref(a, b, expected, m, k, n, aZ, bZ);
              const c = withTier(tier, () => matmulInteger(a, b, { m, k, n, aZeroPoint, bZeroPoint }));
              expectExact(c, expected, [m, k, n], `matmulInteger a${aSigned ? "s8" : "u8"} b${bSigned ? "s8" : "u8"}`);
            }
          }
        }
      }
    });

    it("matmulInteger saturating operands accumulate exactly (255·255 and -128·-128 sums)", () => {
      for (const k of [1, 2, 8, 9, 1024]) {
        const a = new Uint8Array(4 * k).fill(255);
        const b = new Int8Array(k * 9).fill(-128);
        const c = withTier(tier, () => matmulInteger(a, b, { m: 4, k, n: 9 }));
        expectExact(c, new Int32Array(36).fill(-255 * 128 * k), [4, k, 9]);
      }
    });

    it("linearDynamicInt8 and linearStaticInt8 are bit-exact with the reference epilogue", () => {
      let seed = 500;
      for (const [batch, inFeatures, outFeatures] of SHAPES) {
        const weight = randomBytes(Int8Array, outFeatures * inFeatures, seed++);
        weight[0] = -128;
        const scales = randomFloats(outFeatures, seed++).map((s) => Math.abs(s) * 0.01 + 1e-4);
        const bias = randomFloats(outFeatures, seed++);
        const packed = packLinearInt8(weight, { outFeatures, inFeatures, scales, bias });
        const x = randomFloats(batch * inFeatures, seed++, 3);
        const q = dynamic_quantize_linear_f32u8__ref(x);
        const expected = new Float32Array(batch * outFeatures);
        linear_x8s8f32__ref(
          q.data,
          q.zeroPoint,
          q.scale,
          batch,
          weight,
          scales,
          bias,
          outFeatures,
          inFeatures,
          expected,
        );
        const y = withTier(tier, () => linearDynamicInt8(x, batch, packed));
        expectExact(y, expected, [batch, inFeatures, outFeatures], "linearDynamicInt8");

        const xq = randomBytes(Uint8Array, batch * inFeatures, seed++);
        for (const inputZeroPoint of [0, 255, 131]) {
          const staticExpected = new Float32Array(batch * outFeatures);
          linear_x8s8f32__ref(
            xq,
            inputZeroPoint,
            0.02,
            batch,
            weight,
            scales,
            bias,
            outFeatures,
            inFeatures,
            staticExpected,
          );
          const ys = withTier(tier, () => linearStaticInt8(xq, batch, packed, { inputScale: 0.02, inputZeroPoint }));
          expectExact(ys, staticExpected, [batch, inFeatures, outFeatures], "linearStaticInt8");
          const requantExpected = new Uint8Array(staticExpected.length);
          requantize_f32x8__ref(staticExpected, 0.05, 128, 0, 255, requantExpected);
          const yq = withTier(tier, () =>
            linearStaticInt8(xq, batch, packed, {
              inputScale: 0.02,
              inputZeroPoint,
              outputScale: 0.05,
              outputZeroPoint: 128,
            }),
          );
          expectExact(yq, requantExpected, [batch, inFeatures, outFeatures], "linearStaticInt8 requantized");
        }
      }
    });

    it("matmulNBits matches matmul_f32u4f32__ref within 1e-5 relative, with and without zero points", () => {
      let seed = 900;
      for (const [m, k, n] of [
        [1, 16, 1],
        [1, 17, 3],
        [3, 32, 9],
        [1, 100, 7],
        [5, 256, 17],
        [4, 64, 8],
      ] as const) {
        for (const blockSize of [16, 32, 64]) {
          const blocks = Math.ceil(k / blockSize);
          const weight = randomBytes(Uint8Array, n * blocks * (blockSize / 2), seed++);
          const scales = randomFloats(n * blocks, seed++).map((s) => s * 0.1);
          const zeroPoints = randomBytes(Uint8Array, n * Math.ceil(blocks / 2), seed++);
          const bias = randomFloats(n, seed++);
          const x = randomFloats(m * k, seed++);
          for (const zp of [undefined, zeroPoints]) {
            const expected = new Float32Array(m * n);
            matmul_f32u4f32__ref(x, m, k, n, weight, scales, zp, blockSize, bias, expected);
            const y = withTier(tier, () =>
              matmulNBits(x, { m, k, n, weight, scales, zeroPoints: zp, blockSize, bias }),
            );
            expectClose(y, expected, [m, k, n], { rtol: 1e-5, atol: 1e-5, what: `matmulNBits block ${blockSize}` });
          }
        }
      }
    });

    it("sparse linears name an out-of-range column index or code wherever it sits (SIMD body or tail)", () => {
      // 2 rows × 40 columns, 13 + 9 nonzeros: the bad entry lands in 8-wide, 4-wide and scalar-tail positions.
      const rows = 2;
      const cols = 40;
      const rowPointers = new Int32Array([0, 13, 22]);
      const columnIndices = Int32Array.from({ length: 22 }, (_, e) => (e * 3) % cols);
      // 20 entries: the general lookup after a separate SIMD check; 12: the fused swizzle kernel.
      for (const size of [20, 12])
        for (const batch of [0, 1, 2, 5]) {
          const codebook = randomFloats(size, 7);
          const codes = Uint8Array.from({ length: 22 }, (_, e) => e % size);
          const x = randomFloats(batch * cols, 8);
          for (const e of [0, 5, 12, 17, 21]) {
            for (const bad of [cols, -1]) {
              const ci = columnIndices.slice();
              ci[e] = bad;
              const pattern = new RegExp(`columnIndices\\[${e}\\] = ${bad} is outside \\[0, ${cols}\\)`);
              const values = randomFloats(22, 9);
              expect(() =>
                withTier(tier, () => sparseLinear(x, batch, { rows, cols, rowPointers, columnIndices: ci, values })),
              ).toThrow(pattern);
              expect(() =>
                withTier(tier, () =>
                  sparseCodebookLinear(x, batch, {
                    rows,
                    cols,
                    rowPointers,
                    columnIndices: ci,
                    codeIndices: codes,
                    codebook,
                  }),
                ),
              ).toThrow(pattern);
            }
            for (const badCode of [size, 255]) {
              for (const codeIndices of [codes.slice(), Uint16Array.from(codes)]) {
                codeIndices[e] = badCode;
                expect(() =>
                  withTier(tier, () =>
                    sparseCodebookLinear(x, batch, { rows, cols, rowPointers, columnIndices, codeIndices, codebook }),
                  ),
                ).toThrow(new RegExp(`codeIndices\\[${e}\\] = ${badCode} is outside the codebook of ${size} entries`));
              }
            }
          }
        }
    });

    it("sparse and codebook linears match their references within 1e-5 relative", () => {
      let seed = 1300;
      for (const [batch, cols, rows] of SHAPES) {
        const dense = randomFloats(rows * cols, seed++);
        const codebook = randomFloats(16, seed++);
        const indices = randomBytes(Uint8Array, rows * cols, seed++).map((v) => v % 16);
        const rowPointers = new Int32Array(rows + 1);
        const columnIndices: number[] = [];
        const values: number[] = [];
        const codeIndices: number[] = [];
        for (let r = 0; r < rows; r++) {
          for (let c = 0; c < cols; c++) {
            if ((r * 7 + c * 3) % 4 === 0) {
              columnIndices.push(c);
              values.push(dense[r * cols + c]!);
              codeIndices.push(indices[r * cols + c]!);
            }
          }
          rowPointers[r + 1] = columnIndices.length;
        }
        const csr = {
          rows,
          cols,
          rowPointers,
          columnIndices: Int32Array.from(columnIndices),
          values: Float32Array.from(values),
        };
        const x = randomFloats(batch * cols, seed++);
        const bias = randomFloats(rows, seed++);
        const expected = new Float32Array(batch * rows);
        spmm_f32csr__ref(
          x,
          batch,
          rows,
          cols,
          csr.rowPointers,
          csr.columnIndices,
          (e) => csr.values[e]!,
          bias,
          expected,
        );
        expectClose(
          withTier(tier, () => sparseLinear(x, batch, csr, bias)),
          expected,
          [batch, cols, rows],
          { what: "sparseLinear" },
        );

        const lutExpected = new Float32Array(batch * rows);
        const codes = Uint8Array.from(codeIndices);
        spmm_f32csr__ref(
          x,
          batch,
          rows,
          cols,
          rowPointers,
          csr.columnIndices,
          (e) => codebook[codes[e]!]!,
          bias,
          lutExpected,
        );
        const lut = withTier(tier, () =>
          sparseCodebookLinear(
            x,
            batch,
            { rows, cols, rowPointers, columnIndices: csr.columnIndices, codeIndices: codes, codebook },
            bias,
          ),
        );
        expectClose(lut, lutExpected, [batch, cols, rows], { what: "sparseCodebookLinear" });
        const lut16 = withTier(tier, () =>
          sparseCodebookLinear(
            x,
            batch,
            {
              rows,
              cols,
              rowPointers,
              columnIndices: csr.columnIndices,
              codeIndices: Uint16Array.from(codes),
              codebook,
            },
            bias,
          ),
        );
        expectClose(lut16, lutExpected, [batch, cols, rows], { what: "sparseCodebookLinear Uint16Array codes" });
        // 40 entries: uint8 codes past the 16-entry swizzle kernel take the general lookup.
        const wideCodebook = Float32Array.from([...codebook, ...randomFloats(24, seed++)]);
        const lutWide = withTier(tier, () =>
          sparseCodebookLinear(
            x,
            batch,
            { rows, cols, rowPointers, columnIndices: csr.columnIndices, codeIndices: codes, codebook: wideCodebook },
            bias,
          ),
        );
        expectClose(lutWide, lutExpected, [batch, cols, rows], { what: "sparseCodebookLinear 40-entry codebook" });

        const denseExpected = new Float32Array(batch * rows);
        gemm_f32lut__ref(x, batch, rows, cols, indices, codebook, bias, denseExpected);
        const dense16 = Uint16Array.from(indices);
        for (const idx of [indices, dense16]) {
          const y = withTier(tier, () =>
            codebookLinear(x, batch, { outFeatures: rows, inFeatures: cols, indices: idx, codebook }, bias),
          );
          expectClose(y, denseExpected, [batch, cols, rows], { what: `codebookLinear ${idx.constructor.name}` });
        }
      }
    });

    it("dynamicQuantizeLinear is bit-exact with the reference, including ties and constant input", () => {
      const cases = [
        randomFloats(1000, 7, 5),
        new Float32Array(17),
        new Float32Array([1, 2, 3]),
        new Float32Array([-3, -1, -0.5]),
        new Float32Array([-1, 0, 1, 0.5, -0.5, 254 / 255, 0.25]),
        Float32Array.from({ length: 257 }, (_, i) => (i - 128) / 127.5),
        new Float32Array([1, Number.NaN, -2, 3]),
        new Float32Array([1, Number.POSITIVE_INFINITY, -2]),
      ];
      for (const x of cases) {
        const expected = dynamic_quantize_linear_f32u8__ref(x);
        const got = withTier(tier, () => dynamicQuantizeLinear(x));
        expect(got.scale).toBe(expected.scale);
        expect(got.zeroPoint).toBe(expected.zeroPoint);
        expectExact(got.data, expected.data, [x.length], "dynamicQuantizeLinear");
      }
    });
  });
}

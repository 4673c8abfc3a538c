import { quantizeOnnx } from "../src/quantize-onnx";
import { writeOnnx } from "../src/read-onnx";
import { calibrateOnnx } from "../src/calibrate-onnx";
import { buildModel, makeNode, randomData, randomTensor, valueInfo } from "../test/build-model";
import { float, runOnnx } from "../test/ort";
const K = 64, N = 48, M = 5;
const models = {
  matmul: buildModel({ nodes: [makeNode("MatMul", ["x", "W"], ["y"], "mm")], inputs: [valueInfo("x", [M, K])], outputs: [valueInfo("y", [M, N])], initializers: [randomTensor("W", [K, N], 1)] }),
  gemm: buildModel({ nodes: [makeNode("Gemm", ["x", "W", "b"], ["y"], "gemm", { transB: 1, alpha: 0.5, beta: 2 })], inputs: [valueInfo("x", [M, K])], outputs: [valueInfo("y", [M, N])], initializers: [randomTensor("W", [N, K], 2), randomTensor("b", [N], 3)] }),
};
const x = randomData(M * K, 9);
for (const [name, model] of Object.entries(models)) {
  const ref = (await runOnnx(writeOnnx(model).bytes, { x: float(x, [M, K]) })).y!.data;
  for (const mode of ["weight-only", "dynamic", "nbits"] as const) for (const opset of [9, 11, 13]) {
    const m = { ...model, opsetImport: [{ domain: "", version: opset }] };
    if (name === "gemm" && opset === 9) continue;
    try {
      const { model: q, report } = quantizeOnnx(m, { mode, symmetric: opset !== 11, weightType: opset === 13 ? "uint8" : "int8" });
      for (const rt of ["node", "web"] as const) {
        const out = (await runOnnx(writeOnnx(q).bytes, { x: float(x, [M, K]) }, rt)).y!.data;
        let md = 0; for (let i = 0; i < out.length; i++) md = Math.max(md, Math.abs(out[i]! - ref[i]!));
        console.log(name, mode, opset, rt, "maxdiff", md.toFixed(4), report.tensors.map((t) => t.format).join(","), q.graph!.node!.map((n) => n.opType).join(" "));
      }
    } catch (e) { console.log(name, mode, opset, "FAIL", (e as Error).message.slice(0, 300)); }
  }
}
// static conv
const conv = buildModel({ nodes: [makeNode("Conv", ["x", "W", "B"], ["c"], "conv", { pads: [1, 1, 1, 1] }), makeNode("Relu", ["c"], ["r"], "relu"), makeNode("Conv", ["r", "W2"], ["y"], "conv2")],
  inputs: [valueInfo("x", [1, 3, 8, 8])], outputs: [valueInfo("y", [1, 8, 6, 6])], initializers: [randomTensor("W", [16, 3, 3, 3], 4, 0.3), randomTensor("B", [16], 5, 0.1), randomTensor("W2", [8, 16, 3, 3], 6, 0.2)] });
const batches = [0, 1, 2, 3].map((s) => ({ x: float(randomData(192, 100 + s), [1, 3, 8, 8]) }));
for (const method of ["minmax", "percentile", "entropy"] as const) {
  const { ranges } = await calibrateOnnx(conv, { batches, method, run: async (bytes, feeds, names) => runOnnx(bytes, feeds as never, "node", names) });
  const { model: q, report } = quantizeOnnx(conv, { mode: "static", activationRanges: ranges, minElements: 16, weightType: "uint8" });
  const xin = randomData(192, 100);
  const ref = (await runOnnx(writeOnnx(conv).bytes, { x: float(xin, [1, 3, 8, 8]) })).y!.data;
  for (const rt of ["node", "web"] as const) {
    const out = (await runOnnx(writeOnnx(q).bytes, { x: float(xin, [1, 3, 8, 8]) }, rt)).y!.data;
    let md = 0, mx = 0; for (let i = 0; i < out.length; i++) { md = Math.max(md, Math.abs(out[i]! - ref[i]!)); mx = Math.max(mx, Math.abs(ref[i]!)); }
    console.log("static", method, rt, md.toFixed(4), "of", mx.toFixed(3), report.quantizedActivations, JSON.stringify(ranges).slice(0, 200));
  }
}

import type { ModelEditor } from "./graph-edit";
import { makeNode } from "./graph-edit";
import type { OnnxModel } from "./onnx-schema";
import { tensorProtoStoredBytes } from "./onnx-tensor";
import { gemmEpilogue, matmulWeightUse, weightAsKByN } from "./quantize-dynamic";
import { consumersOf, skipReason, type TensorQuantizationReport } from "./quantize-weight-only";
import { quantizeNBits, sqnrDb } from "./weight-quant";
import type { WeightSource } from "./weight-sources";

export const MICROSOFT_DOMAIN = "com.microsoft";

/** Adds `com.microsoft` version 1 to the model's opset imports when missing. */
export function ensureMicrosoftOpset(model: OnnxModel): void {
  if (model.opsetImport === undefined) model.opsetImport = [];
  const imports = model.opsetImport;
  if (!imports.some((entry) => entry.domain === MICROSOFT_DOMAIN))
    imports.push({ domain: MICROSOFT_DOMAIN, version: 1 });
}

/**
 * 4-bit weights for MatMul/Gemm as onnxruntime's `MatMulNBits` (com.microsoft), the format of
 * transformers.js q4 models: B stored [n][blocks][blockSize/2] with one float scale per (column,
 * block) and, when not symmetric, packed 4-bit zero points. Gemm's alpha goes into the scales
 * and its bias into an Add after the node.
 */
export function quantizeNBitsMatMuls(
  sources: WeightSource[],
  editor: ModelEditor,
  settings: { blockSize: number; symmetric: boolean; minElements: number },
): TensorQuantizationReport[] {
  const reports: TensorQuantizationReport[] = [];
  for (const source of sources) {
    const uses = source.uses.filter(matmulWeightUse);
    if (uses.length === 0 || uses.length !== source.uses.length) continue;
    const bytesBefore = tensorProtoStoredBytes(source.tensor);
    let bytesAfter = 0;
    let sqnr = Number.POSITIVE_INFINITY;
    let converted = 0;
    for (const use of uses) {
      const weight = weightAsKByN(source, use);
      if (weight === undefined || skipReason(weight.values, settings.minElements) !== undefined) continue;
      const { k, n } = weight;
      const quantized = quantizeNBits(weight.values, k, n, settings.blockSize, settings.symmetric);
      const { alpha, bias } = gemmEpilogue(use, editor);
      const graphEditor = editor.for(use.graph);
      const node = use.node;
      const base = node.name || source.name;
      const scales = alpha === 1 ? quantized.scales : Float32Array.from(quantized.scales, (s) => s * alpha);
      const inputs = [
        node.input?.[0] as string,
        graphEditor.addConstant(
          `${source.name}_quantized`,
          quantized.packed,
          [n, quantized.blocks, settings.blockSize / 2],
          node,
        ),
        graphEditor.addConstant(`${source.name}_scales`, scales, [n * quantized.blocks], node),
      ];
      if (quantized.zeroPoints !== undefined) {
        inputs.push(
          graphEditor.addConstant(
            `${source.name}_zero_points`,
            quantized.zeroPoints,
            [quantized.zeroPoints.length],
            node,
          ),
        );
      }
      const output = node.output?.[0] as string;
      const product = bias === undefined ? output : graphEditor.fresh(`${base}_MatMulNBits_output`);
      const attributes = { K: k, N: n, bits: 4, block_size: settings.blockSize };
      const replacement = [
        makeNode(
          "MatMulNBits",
          inputs,
          [product],
          graphEditor.fresh(`${base}_MatMulNBits`),
          attributes,
          MICROSOFT_DOMAIN,
        ),
      ];
      if (bias !== undefined)
        replacement.push(makeNode("Add", [product, bias], [output], graphEditor.fresh(`${base}_bias_Add`)));
      graphEditor.replaceNode(node, replacement);
      bytesAfter += quantized.packed.length + 4 * scales.length + (quantized.zeroPoints?.length ?? 0);
      sqnr = Math.min(sqnr, sqnrDb(weight.values, quantized.dequantized));
      converted++;
    }
    if (converted === 0) continue;
    reports.push({
      name: source.name,
      graph: source.graphPath,
      shape: [...(source.tensor.dims ?? [])],
      consumers: consumersOf(source),
      format: `MatMulNBits 4-bit block ${settings.blockSize} ${settings.symmetric ? "symmetric" : "with zero points"}`,
      bytesBefore,
      bytesAfter,
      sqnrDb: sqnr,
    });
  }
  return reports;
}

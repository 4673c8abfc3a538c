import type { ModelEditor } from "./graph-edit";
import { makeNode } from "./graph-edit";
import { getFloatAttribute, getIntAttribute } from "./graph-walk";
import { decodeTensor, tensorProtoStoredBytes, tensorToFloat32 } from "./onnx-tensor";
import { consumersOf, skipReason, type TensorQuantizationReport } from "./quantize-weight-only";
import { quantizeWeight, sqnrDb, type WeightDtype } from "./weight-quant";
import type { WeightSource, WeightUse } from "./weight-sources";

export interface MatMulWeight {
  /** Weight as op(B): [k][n] row-major. */
  values: Float32Array;
  k: number;
  n: number;
}

/** A MatMul/Gemm use whose weight can be rewritten as a [k][n] matrix, or undefined. */
export function matmulWeightUse(use: WeightUse): boolean {
  if (!use.direct || use.inputIndex !== 1) return false;
  if (use.node.opType === "MatMul") return true;
  return use.node.opType === "Gemm" && getIntAttribute(use.node, "transA", 0) === 0;
}

/** The weight in [k][n] layout (Gemm with transB=1 stores [n][k]). */
export function weightAsKByN(source: WeightSource, use: WeightUse): MatMulWeight | undefined {
  const tensor = decodeTensor(source.tensor, "quantizeOnnx");
  if (tensor.shape.length !== 2) return undefined;
  const values = tensorToFloat32(tensor);
  const [rows, cols] = tensor.shape as [number, number];
  if (use.node.opType === "Gemm" && getIntAttribute(use.node, "transB", 0) === 1) {
    const transposed = new Float32Array(values.length);
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) transposed[j * rows + i] = values[i * cols + j] as number;
    return { values: transposed, k: cols, n: rows };
  }
  return { values, k: rows, n: cols };
}

/**
 * Gemm's alpha and bias: the product is scaled by alpha and `beta * C` is added afterwards.
 * Returns the bias value name (a Mul by beta is inserted when beta != 1), or undefined.
 */
export function gemmEpilogue(use: WeightUse, editor: ModelEditor): { alpha: number; bias: string | undefined } {
  if (use.node.opType !== "Gemm") return { alpha: 1, bias: undefined };
  const alpha = getFloatAttribute(use.node, "alpha", 1);
  const beta = getFloatAttribute(use.node, "beta", 1);
  const c = use.node.input?.[2];
  if (!c || beta === 0) return { alpha, bias: undefined };
  if (beta === 1) return { alpha, bias: c };
  const graphEditor = editor.for(use.graph);
  const betaName = graphEditor.addConstant(`${use.node.name}_beta`, Float32Array.of(beta), [], use.node);
  const scaled = graphEditor.fresh(`${c}_times_beta`);
  graphEditor.insertBefore(
    use.node,
    makeNode("Mul", [c, betaName], [scaled], graphEditor.fresh(`${use.node.name}_beta_Mul`)),
  );
  return { alpha, bias: scaled };
}

/**
 * onnxruntime `quantize_dynamic` for MatMul/Gemm: the activation is quantized per call by
 * DynamicQuantizeLinear (uint8), multiplied with int8 weights by MatMulInteger (int32), and the
 * product rescaled by (activation scale × per-column weight scale × alpha), then the bias added.
 * Needs opset 11 (DynamicQuantizeLinear); other uses stay for the weight-only pass.
 */
export function quantizeDynamicMatMuls(
  sources: WeightSource[],
  editor: ModelEditor,
  settings: { weightType: WeightDtype; perChannel: boolean; minElements: number; opset: number },
): TensorQuantizationReport[] {
  const reports: TensorQuantizationReport[] = [];
  if (settings.opset < 11) return reports;
  for (const source of sources) {
    const uses = source.uses.filter(matmulWeightUse);
    // A weight also read by other ops keeps its float tensor; the weight-only pass handles it.
    if (uses.length === 0 || uses.length !== source.uses.length) continue;
    const bytesBefore = tensorProtoStoredBytes(source.tensor);
    let bytesAfter = 0;
    let sqnr = Number.POSITIVE_INFINITY;
    let converted = 0;
    for (const use of uses) {
      const weight = weightAsKByN(source, use);
      if (weight === undefined || skipReason(weight.values, settings.minElements) !== undefined) continue;
      const axis = settings.perChannel ? 1 : undefined;
      const quantized = quantizeWeight(weight.values, [weight.k, weight.n], axis, settings.weightType);
      const { alpha, bias } = gemmEpilogue(use, editor);
      const graphEditor = editor.for(use.graph);
      const node = use.node;
      const base = node.name || source.name;
      const scale = Float32Array.from(quantized.scale, (s) => s * alpha);
      const scaleShape = axis === undefined ? [] : [weight.n];
      const weightName = graphEditor.addConstant(
        `${source.name}_quantized`,
        quantized.data,
        [weight.k, weight.n],
        node,
      );
      const scaleName = graphEditor.addConstant(`${source.name}_scale`, scale, scaleShape, node);
      const input = node.input?.[0] as string;
      const [aq, as, azp] = [`${base}_input_quantized`, `${base}_input_scale`, `${base}_input_zero_point`].map((n) =>
        graphEditor.fresh(n),
      ) as [string, string, string];
      const integerInputs = [aq, weightName, azp];
      if (settings.weightType === "uint8") {
        integerInputs.push(
          graphEditor.addConstant(`${source.name}_zero_point`, Uint8Array.from(quantized.zeroPoint), scaleShape, node),
        );
      }
      const product = graphEditor.fresh(`${base}_MatMulInteger_output`);
      const productFloat = graphEditor.fresh(`${base}_MatMulInteger_output_float`);
      const combinedScale = graphEditor.fresh(`${base}_output_scale`);
      const output = node.output?.[0] as string;
      const scaled = bias === undefined ? output : graphEditor.fresh(`${base}_output_unbiased`);
      const replacement = [
        makeNode("DynamicQuantizeLinear", [input], [aq, as, azp], graphEditor.fresh(`${base}_DynamicQuantizeLinear`)),
        makeNode("MatMulInteger", integerInputs, [product], graphEditor.fresh(`${base}_MatMulInteger`)),
        makeNode("Cast", [product], [productFloat], graphEditor.fresh(`${base}_Cast`), { to: 1 }),
        makeNode("Mul", [as, scaleName], [combinedScale], graphEditor.fresh(`${base}_scale_Mul`)),
        makeNode("Mul", [productFloat, combinedScale], [scaled], graphEditor.fresh(`${base}_output_Mul`)),
      ];
      if (bias !== undefined)
        replacement.push(makeNode("Add", [scaled, bias], [output], graphEditor.fresh(`${base}_bias_Add`)));
      graphEditor.replaceNode(node, replacement);
      bytesAfter += quantized.data.length + 4 * scale.length + (settings.weightType === "uint8" ? scale.length : 0);
      sqnr = Math.min(sqnr, sqnrDb(weight.values, quantized.dequantized));
      converted++;
    }
    const shape = [...(source.tensor.dims ?? [])];
    // Not converted (too small, not a matrix): the weight-only pass reports it.
    if (converted === 0) continue;
    reports.push({
      name: source.name,
      graph: source.graphPath,
      shape,
      consumers: consumersOf(source),
      format: `${settings.weightType} ${settings.perChannel ? "per-column" : "per-tensor"} MatMulInteger`,
      bytesBefore,
      bytesAfter,
      sqnrDb: sqnr,
    });
  }
  return reports;
}

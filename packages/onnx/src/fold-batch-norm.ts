import { collectNames, forEachGraph, freshName, getFloatAttribute, getIntAttribute } from "./graph-walk";
import type { GraphProto, NodeProto, OnnxModel, TensorProto } from "./onnx-schema";
import { OnnxDataType } from "./onnx-schema";
import { decodeTensor, encodeTensor, tensorToFloat32 } from "./onnx-tensor";

/**
 * Folds inference-mode BatchNormalization into the Conv before it, in every graph:
 * W'[o] = W[o]·γ[o]/√(σ²[o]+ε) and b'[o] = (b[o] − μ[o])·γ[o]/√(σ²[o]+ε) + β[o], computed in
 * float64 and rounded once to float32. Folds only where that is exact in exact arithmetic: the
 * Conv output feeds nothing but the BatchNormalization, and every parameter is a float
 * initializer of the same graph that no other node reads. Mutates `model`; returns the count.
 */
export function foldBatchNormInPlace(model: OnnxModel): number {
  const useCounts = new Map<string, number>();
  forEachGraph(model, (graph) => {
    for (const value of graph.output ?? [])
      if (value.name) useCounts.set(value.name, (useCounts.get(value.name) ?? 0) + 1);
    for (const node of graph.node ?? []) {
      for (const input of node.input ?? []) if (input) useCounts.set(input, (useCounts.get(input) ?? 0) + 1);
    }
  });
  const names = collectNames(model);
  let folded = 0;
  forEachGraph(model, (graph) => {
    const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? "", t]));
    const producers = new Map<string, NodeProto>();
    for (const node of graph.node ?? [])
      for (const output of node.output ?? []) if (output) producers.set(output, node);
    const removed = new Set<NodeProto>();
    const foldedParameters = new Set<string>();
    for (const bn of graph.node ?? []) {
      if (bn.opType !== "BatchNormalization" || (bn.domain ?? "") !== "") continue;
      if (getIntAttribute(bn, "training_mode", 0) !== 0 || (bn.output ?? []).slice(1).some((o) => o)) continue;
      const conv = producers.get(bn.input?.[0] ?? "");
      if (conv === undefined || conv.opType !== "Conv" || (conv.domain ?? "") !== "") continue;
      const convOutput = conv.output?.[0] ?? "";
      if (useCounts.get(convOutput) !== 1) continue;
      const params = [conv.input?.[1], conv.input?.[2], ...(bn.input ?? []).slice(1, 5)];
      const tensors = params.map((name) => (name ? initializers.get(name) : undefined));
      const [weight, bias, gamma, beta, mean, variance] = tensors;
      if ([weight, gamma, beta, mean, variance].some((t) => !isFloat(t))) continue;
      if (bias !== undefined && !isFloat(bias)) continue;
      if (conv.input?.[2] && bias === undefined) continue;
      if (params.some((name, i) => name && useCounts.get(name) !== 1 && i < 2)) continue;
      const result = fold(
        weight as TensorProto,
        bias,
        [gamma, beta, mean, variance] as TensorProto[],
        getFloatAttribute(bn, "epsilon", 1e-5),
      );
      if (result === undefined) continue;
      const weightName = freshName(names, `${conv.input?.[1]}_folded`);
      const biasName = freshName(names, `${conv.name || "conv"}_bias_folded`);
      graph.initializer = (graph.initializer ?? []).filter((t) => t !== weight && t !== bias);
      graph.input = (graph.input ?? []).filter((v) => v.name !== conv.input?.[1] && v.name !== conv.input?.[2]);
      graph.initializer.push(encodeTensor(weightName, result.weight, weight?.dims ?? []));
      graph.initializer.push(encodeTensor(biasName, result.bias, [result.bias.length]));
      conv.input = [conv.input?.[0] ?? "", weightName, biasName];
      conv.output = [bn.output?.[0] ?? ""];
      removed.add(bn);
      for (const name of (bn.input ?? []).slice(1)) foldedParameters.add(name);
      folded++;
    }
    if (removed.size > 0) graph.node = (graph.node ?? []).filter((node) => !removed.has(node));
    pruneFoldedParameters(graph, foldedParameters, useCounts);
  });
  return folded;
}

function isFloat(tensor: TensorProto | undefined): boolean {
  return tensor !== undefined && tensor.dataType === OnnxDataType.FLOAT;
}

function fold(
  weightProto: TensorProto,
  biasProto: TensorProto | undefined,
  bnProtos: TensorProto[],
  epsilon: number,
): { weight: Float32Array; bias: Float32Array } | undefined {
  const weight = tensorToFloat32(decodeTensor(weightProto, "foldBatchNorm"));
  const channels = weightProto.dims?.[0] ?? 0;
  const [gamma, beta, mean, variance] = bnProtos.map((t) => tensorToFloat32(decodeTensor(t, "foldBatchNorm"))) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  if ([gamma, beta, mean, variance].some((v) => v.length !== channels) || channels === 0) return undefined;
  const bias =
    biasProto === undefined ? new Float32Array(channels) : tensorToFloat32(decodeTensor(biasProto, "foldBatchNorm"));
  if (bias.length !== channels) return undefined;
  const perChannel = weight.length / channels;
  const newWeight = new Float32Array(weight.length);
  const newBias = new Float32Array(channels);
  for (let o = 0; o < channels; o++) {
    const factor = (gamma[o] as number) / Math.sqrt((variance[o] as number) + epsilon);
    for (let i = 0; i < perChannel; i++)
      newWeight[o * perChannel + i] = (weight[o * perChannel + i] as number) * factor;
    newBias[o] = ((bias[o] as number) - (mean[o] as number)) * factor + (beta[o] as number);
  }
  return { weight: newWeight, bias: newBias };
}

/** Removes the folded BatchNormalization parameters that only the removed node read. */
function pruneFoldedParameters(graph: GraphProto, parameters: Set<string>, useCounts: Map<string, number>): void {
  const unused = (name: string | undefined) => name !== undefined && parameters.has(name) && useCounts.get(name) === 1;
  graph.initializer = (graph.initializer ?? []).filter((t) => !unused(t.name));
  graph.input = (graph.input ?? []).filter((v) => !unused(v.name));
}

import { InvalidArgumentError, UnsupportedError } from "@mc/core";
import {
  Conv2d,
  Dropout,
  Flatten,
  GELU,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  Softmax,
  Tanh,
} from "@mc/nn";
import { makeNode } from "./graph-edit";
import type { NodeProto, OnnxModel, TensorProto, ValueInfoProto } from "./onnx-schema";
import { OnnxDataType } from "./onnx-schema";
import { encodeTensor } from "./onnx-tensor";

export interface ToOnnxOptions {
  /** Shape of one sample, without the batch dimension, e.g. [1, 28, 28]. */
  inputShape: number[];
  /** Default-domain opset of the exported model (default 17). */
  opset?: number;
  inputName?: string;
  outputName?: string;
}

function valueInfo(name: string, shape: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxDataType.FLOAT,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Exports an @mc/nn `Sequential` (nested Sequentials allowed) of Linear, Conv2d, MaxPool2d,
 * ReLU, Tanh, GELU, Softmax, Flatten and Dropout to an ONNX model in inference form: Linear →
 * Gemm(transB=1) with the [out, in] weight as stored, Conv2d → Conv, GELU → the exact erf form,
 * Dropout → Identity. Parameters are exported by their dotted names (`fc1.weight`). The batch
 * dimension is symbolic ("batch").
 */
export function toOnnx(model: Module, options: ToOnnxOptions): OnnxModel {
  const { inputShape, opset = 17, inputName = "input", outputName = "output" } = options ?? ({} as ToOnnxOptions);
  if (!Array.isArray(inputShape) || inputShape.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new InvalidArgumentError({
      message: `toOnnx: options.inputShape must list positive dimensions of one sample, got ${JSON.stringify(inputShape)}`,
      argument: "options.inputShape",
      value: inputShape,
    });
  }
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let current = inputName;
  let counter = 0;
  const next = (label: string) => `${label}_output_${counter++}`;
  const layers: [string, Module][] = [];
  const flatten = (prefix: string, module: Module) => {
    if (module instanceof Sequential) {
      for (const [name, child] of module.children()) flatten(prefix === "" ? name : `${prefix}.${name}`, child);
    } else {
      layers.push([prefix || "0", module]);
    }
  };
  flatten("", model);
  for (const [index, [name, layer]] of layers.entries()) {
    const output = index === layers.length - 1 ? outputName : next(name);
    const parameter = (suffix: string, value: { data: Float32Array; shape: readonly number[] }) => {
      initializers.push(encodeTensor(`${name}.${suffix}`, value.data.slice(), value.shape));
      return `${name}.${suffix}`;
    };
    if (layer instanceof Linear) {
      const inputs = [current, parameter("weight", layer.weight.value)];
      if (layer.bias !== undefined) inputs.push(parameter("bias", layer.bias.value));
      nodes.push(makeNode("Gemm", inputs, [output], name, { transB: 1 }));
    } else if (layer instanceof Conv2d) {
      const inputs = [current, parameter("weight", layer.weight.value)];
      if (layer.bias !== undefined) inputs.push(parameter("bias", layer.bias.value));
      const k = layer.kernelSize;
      const p = layer.padding;
      nodes.push(
        makeNode("Conv", inputs, [output], name, {
          kernel_shape: [k, k],
          strides: [layer.stride, layer.stride],
          pads: [p, p, p, p],
        }),
      );
    } else if (layer instanceof MaxPool2d) {
      const k = layer.kernelSize;
      nodes.push(
        makeNode("MaxPool", [current], [output], name, { kernel_shape: [k, k], strides: [layer.stride, layer.stride] }),
      );
    } else if (layer instanceof ReLU) {
      nodes.push(makeNode("Relu", [current], [output], name));
    } else if (layer instanceof Tanh) {
      nodes.push(makeNode("Tanh", [current], [output], name));
    } else if (layer instanceof Softmax) {
      nodes.push(makeNode("Softmax", [current], [output], name, { axis: -1 }));
    } else if (layer instanceof Flatten) {
      nodes.push(makeNode("Flatten", [current], [output], name, { axis: 1 }));
    } else if (layer instanceof Dropout) {
      nodes.push(makeNode("Identity", [current], [output], name));
    } else if (layer instanceof GELU) {
      // gelu(x) = x · (1 + erf(x / √2)) / 2, exact (Gelu itself needs opset 20).
      const sqrt2 = `${name}.sqrt2`;
      const half = `${name}.half`;
      const one = `${name}.one`;
      initializers.push(encodeTensor(sqrt2, Float32Array.of(Math.SQRT2), []));
      initializers.push(encodeTensor(half, Float32Array.of(0.5), []));
      initializers.push(encodeTensor(one, Float32Array.of(1), []));
      const [scaled, erf, shifted, product] = ["div", "erf", "add", "mul"].map((s) => `${name}_${s}_${counter++}`) as [
        string,
        string,
        string,
        string,
      ];
      nodes.push(
        makeNode("Div", [current, sqrt2], [scaled], `${name}_Div`),
        makeNode("Erf", [scaled], [erf], `${name}_Erf`),
        makeNode("Add", [erf, one], [shifted], `${name}_Add`),
        makeNode("Mul", [current, shifted], [product], `${name}_Mul`),
        makeNode("Mul", [product, half], [output], `${name}_Mul_half`),
      );
    } else {
      throw new UnsupportedError({
        message: `toOnnx: layer "${name}" (${layer.constructor.name}) has no ONNX export yet`,
        feature: layer.constructor.name,
      });
    }
    current = output;
  }
  return {
    // The lowest IR version each opset needs (opset 21 brings int4 and needs IR 10).
    irVersion: opset >= 21 ? 10 : opset >= 19 ? 9 : 8,
    producerName: "@mc/onnx toOnnx",
    opsetImport: [{ domain: "", version: opset }],
    graph: {
      name: "mc_sequential",
      node: nodes,
      initializer: initializers,
      input: [valueInfo(inputName, ["batch", ...inputShape])],
      output: [{ name: outputName, type: { tensorType: { elemType: OnnxDataType.FLOAT } } }],
    },
  };
}

import { InvalidArgumentError, type Tensor } from "@mc/core";
import { Module } from "./module";

/** Forward outputs of every child, for distillation and inspection. */
export interface SequentialIntermediates {
  output: Tensor;
  /** `outputs[i]` is the output of child `names[i]`; the last one is `output`. */
  outputs: Tensor[];
  names: string[];
}

/**
 * Children run in order. Children given as an array are named "0", "1", ...; given as an
 * object, by its keys (in insertion order), so `new Sequential({ fc1, relu1, fc2 })` has
 * parameters `fc1.weight`, `fc2.bias`, ...
 */
export class Sequential extends Module {
  private readonly layers: Module[] = [];
  private readonly layerNames: string[] = [];

  constructor(layers: Module[] | Record<string, Module>) {
    super();
    const entries: [string, Module][] = Array.isArray(layers)
      ? layers.map((layer, i) => [String(i), layer])
      : Object.entries(layers);
    if (entries.length === 0) {
      throw new InvalidArgumentError({ message: "Sequential: needs at least one layer", argument: "layers" });
    }
    for (const [name, layer] of entries) {
      if (!(layer instanceof Module)) {
        throw new InvalidArgumentError({
          message: `Sequential: layer "${name}" is not a Module`,
          argument: "layers",
          value: name,
        });
      }
      this.addModule(name, layer);
      this.layers.push(layer);
      this.layerNames.push(name);
    }
  }

  get length(): number {
    return this.layers.length;
  }

  at(index: number): Module {
    const layer = this.layers[index];
    if (!layer) {
      throw new InvalidArgumentError({
        message: `Sequential.at: index ${index} is out of range for ${this.layers.length} layers`,
        argument: "index",
        value: index,
      });
    }
    return layer;
  }

  forward(input: Tensor): Tensor {
    let x = input;
    for (const layer of this.layers) x = layer.forward(x);
    return x;
  }

  /** Like `forward`, also returning each child's output. */
  forwardWithIntermediates(input: Tensor): SequentialIntermediates {
    const outputs: Tensor[] = [];
    let x = input;
    for (const layer of this.layers) {
      x = layer.forward(x);
      outputs.push(x);
    }
    return { output: x, outputs, names: [...this.layerNames] };
  }

  /**
   * Backward through all children. `extraGradients[i]`, when given, is added to the gradient
   * arriving at child i's output (for losses on intermediate outputs, e.g. hidden-state MSE).
   */
  backward(gradOutput: Tensor, extraGradients: (Tensor | undefined)[] = []): Tensor {
    let g = gradOutput;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const extra = i < this.layers.length - 1 ? extraGradients[i] : undefined;
      if (extra) g = addTensors(g, extra, `Sequential.backward: extraGradients[${i}]`);
      g = (this.layers[i] as Module).backward(g);
    }
    return g;
  }
}

/** a + b into a new tensor; shapes must agree. */
export function addTensors(a: Tensor, b: Tensor, caller: string): Tensor {
  if (a.data.length !== b.data.length) {
    throw new InvalidArgumentError({
      message: `${caller}: has ${b.data.length} elements but the gradient there has ${a.data.length}`,
      argument: "extraGradients",
    });
  }
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = (a.data[i] as number) + (b.data[i] as number);
  return { data: out, shape: a.shape };
}

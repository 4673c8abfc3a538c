import { formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";

/** What a parameter is, so compression packages can pick the tensors they act on. */
export type ParameterKind =
  | "linear.weight"
  | "conv.weight"
  | "embedding.weight"
  | "attention.weight"
  | "norm.weight"
  | "bias";

/**
 * A per-parameter plug-in. Layers call `forward` hooks (in insertion order) to get the weight
 * they actually use, and `backward` hooks (in reverse order) to turn the gradient with respect
 * to that effective weight into the gradient with respect to the stored value. Optimizers call
 * `afterStep` after every update. Pruning masks, tied-gradient sums for weight sharing and
 * fake quantization with a straight-through estimator are all built from these three.
 */
export interface ParameterHook {
  /** Returns the effective weight; must not mutate `weight` (return a new array). */
  forward?(weight: Float32Array, parameter: Parameter): Float32Array;
  /** Returns the gradient with respect to the hook's input; may return `gradient` itself. */
  backward?(gradient: Float32Array, parameter: Parameter): Float32Array;
  afterStep?(parameter: Parameter): void;
}

/** A trainable tensor, its accumulated gradient and its hooks. */
export class Parameter {
  /** Dotted name from the root module, e.g. `fc1.weight`; set when the owner is registered. */
  name: string;
  value: Tensor<Float32Array>;
  grad: Float32Array;
  readonly kind: ParameterKind;
  hooks: ParameterHook[] = [];

  constructor(name: string, value: Tensor<Float32Array>, kind: ParameterKind) {
    this.name = name;
    this.value = value;
    this.grad = new Float32Array(value.data.length);
    this.kind = kind;
  }

  /** The weight a layer multiplies by: the stored value passed through every forward hook. */
  effectiveValue(): Float32Array {
    let weight = this.value.data;
    for (const hook of this.hooks) if (hook.forward) weight = hook.forward(weight, this);
    return weight;
  }

  /** True when some hook changes the gradient, so layers cannot accumulate into `grad` directly. */
  hasBackwardHooks(): boolean {
    for (const hook of this.hooks) if (hook.backward) return true;
    return false;
  }

  /** Adds a gradient with respect to the effective weight, after the backward hooks. */
  accumulateGrad(gradient: Float32Array): void {
    let g = gradient;
    for (let h = this.hooks.length - 1; h >= 0; h--) {
      const hook = this.hooks[h] as ParameterHook;
      if (hook.backward) g = hook.backward(g, this);
    }
    const grad = this.grad;
    for (let i = 0; i < grad.length; i++) grad[i] = (grad[i] as number) + (g[i] as number);
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }
}

/**
 * Base class of every layer and model. A module caches what its backward pass needs during
 * `forward`, so `backward` must follow the matching `forward` (one forward in flight per
 * module). Children are registered by name; parameter names are the dotted path from the root.
 */
export abstract class Module {
  training = true;
  private readonly ownParameters: Parameter[] = [];
  private readonly childModules: [string, Module][] = [];

  abstract forward(input: Tensor): Tensor;
  abstract backward(gradOutput: Tensor): Tensor;

  /** Registers a parameter under a local name (`weight`, `bias`). */
  protected addParameter(localName: string, value: Tensor<Float32Array>, kind: ParameterKind): Parameter {
    const parameter = new Parameter(localName, value, kind);
    this.ownParameters.push(parameter);
    return parameter;
  }

  /** Registers a child; its parameters are renamed `<name>.<their name>`. */
  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.childModules.some(([existing]) => existing === name)) {
      throw new InvalidArgumentError({
        message: `${this.constructor.name}: a child named "${name}" is already registered`,
        argument: "name",
        value: name,
      });
    }
    this.childModules.push([name, module]);
    for (const parameter of module.parameters()) parameter.name = `${name}.${parameter.name}`;
    return module;
  }

  /**
   * Swaps the child registered as `name` for `module`, keeping its place in the child order.
   * Parameter names are not touched: the caller gives the new child's parameters their full
   * dotted names (only it knows which prefix the old child's parameters carry). Returns the old child.
   */
  protected replaceModule(name: string, module: Module): Module {
    const entry = this.childModules.find(([existing]) => existing === name);
    if (!entry) {
      throw new InvalidArgumentError({
        message: `${this.constructor.name}: no child named "${name}" to replace`,
        argument: "name",
        value: name,
      });
    }
    const previous = entry[1];
    entry[1] = module;
    return previous;
  }

  /** Children in registration order, with their local names. */
  children(): readonly [string, Module][] {
    return this.childModules;
  }

  /** Every module below this one (this one first), with dotted names ("" for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.childModules) {
      out.push(...child.namedModules(prefix === "" ? name : `${prefix}.${name}`));
    }
    return out;
  }

  /** All parameters: own first, then each child's in registration order. */
  parameters(): Parameter[] {
    const out = [...this.ownParameters];
    for (const [, child] of this.childModules) out.push(...child.parameters());
    return out;
  }

  getParameter(name: string): Parameter {
    const all = this.parameters();
    const found = all.find((p) => p.name === name);
    if (!found) {
      const known = all.map((p) => p.name);
      const shown = known.slice(0, 12).join(", ") + (known.length > 12 ? ", ..." : "");
      throw new InvalidArgumentError({
        message: `getParameter: no parameter named "${name}"; this model has ${known.length}: ${shown}`,
        argument: "name",
        value: name,
      });
    }
    return found;
  }

  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.zeroGrad();
  }

  /** Training mode (dropout active); returns this. */
  train(): this {
    for (const [, module] of this.namedModules()) module.training = true;
    return this;
  }

  /** Inference mode (dropout off); returns this. */
  eval(): this {
    for (const [, module] of this.namedModules()) module.training = false;
    return this;
  }
}

/** Attaches a hook to the named parameter; returns a function that removes it again. */
export function addParameterHook(model: Module, name: string, hook: ParameterHook): () => void {
  const parameter = model.getParameter(name);
  parameter.hooks.push(hook);
  return () => {
    const index = parameter.hooks.indexOf(hook);
    if (index >= 0) parameter.hooks.splice(index, 1);
  };
}

/** Throws unless the module saw a forward pass (backward needs its cache). */
export function requireCache<T>(cache: T | undefined, caller: string): T {
  if (cache === undefined) {
    throw new InvalidArgumentError({
      message: `${caller}: backward called before forward`,
      argument: "gradOutput",
    });
  }
  return cache;
}

/** Throws unless the gradient has exactly the shape of the last forward output. */
export function assertGradShape(gradOutput: Tensor, expected: readonly number[], caller: string): void {
  const shape = gradOutput.shape;
  let same = shape.length === expected.length;
  for (let i = 0; same && i < shape.length; i++) same = shape[i] === expected[i];
  if (!same || gradOutput.data.length !== gradOutput.shape.reduce((a, b) => a * b, 1)) {
    throw new ShapeMismatchError({
      message: `${caller}: gradOutput has shape ${formatShape(shape)} but the forward output had shape ${formatShape(expected)}`,
      expected,
      actual: shape,
    });
  }
}

/** Validates an input tensor's data type, rank range and non-empty batch. */
export function assertInput(input: Tensor, caller: string, minRank: number): void {
  if (typeof input !== "object" || input === null || !(input.data instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: input must be a tensor with Float32Array data`,
      argument: "input",
      value: input,
    });
  }
  const count = input.shape.reduce((a, b) => a * b, 1);
  if (input.data.length !== count) {
    throw new ShapeMismatchError({
      message: `${caller}: input.data has ${input.data.length} elements but its shape ${formatShape(input.shape)} needs ${count}`,
      expected: [count],
      actual: [input.data.length],
    });
  }
  if (input.shape.length < minRank) {
    throw new ShapeMismatchError({
      message: `${caller}: input must have rank >= ${minRank}, got shape ${formatShape(input.shape)}`,
      actual: input.shape,
    });
  }
  if (input.shape[0] === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: input has an empty batch (shape ${formatShape(input.shape)})`,
      argument: "input",
      value: input.shape,
    });
  }
}

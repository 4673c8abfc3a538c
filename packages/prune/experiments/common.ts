import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Dataset, evaluate, type RowTransformer } from "@mc/nn";
import { setHeadMask } from "@mc/prune";

export const resultsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");

export function writeResult(name: string, value: unknown): string {
  mkdirSync(resultsDir, { recursive: true });
  const path = join(resultsDir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

export function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** Ranks with ties averaged (accuracy drops are multiples of 1/2000 and do tie). */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1][0] === order[start][0]) end++;
    for (let k = start; k <= end; k++) out[order[k][1]] = (start + end) / 2;
    start = end + 1;
  }
  return out;
}

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(a: number[], b: number[]): number {
  return pearson(ranks(a), ranks(b));
}

export interface SingleHeadDamage {
  layer: number;
  head: number;
  normalizedImportance: number;
  rawImportance: number;
  accuracyDrop: number;
  lossIncrease: number;
}

/**
 * Removes each head alone (mask 0) and measures the damage on `test`; restores the full mask.
 * `importance` is transformerHeadImportance's result with every head present.
 */
export function singleHeadDamage(
  model: RowTransformer,
  test: Dataset,
  baseline: { accuracy: number; loss: number },
  importance: { importance: ArrayLike<number>; raw: ArrayLike<number> },
): SingleHeadDamage[] {
  const heads = model.blocks[0].attn.heads;
  const full = new Float32Array(model.blocks.length * heads).fill(1);
  const out: SingleHeadDamage[] = [];
  for (let i = 0; i < full.length; i++) {
    const mask = full.slice();
    mask[i] = 0;
    setHeadMask(model, mask);
    const result = evaluate(model, test);
    out.push({
      layer: Math.floor(i / heads),
      head: i % heads,
      normalizedImportance: importance.importance[i],
      rawImportance: importance.raw[i],
      accuracyDrop: baseline.accuracy - result.accuracy,
      lossIncrease: result.loss - baseline.loss,
    });
  }
  setHeadMask(model, full);
  return out;
}

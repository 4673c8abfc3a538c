/**
 * Prints results/mnist.json as the README's markdown table.
 * Usage: pnpm exec tsx experiments/render-table.ts
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface Row {
  model: string;
  method: string;
  accuracy: number;
  bytes: number;
  dropPp: number;
  logitMse: number;
  agreement: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const results = JSON.parse(readFileSync(join(here, "..", "results", "mnist.json"), "utf8")) as { rows: Row[] };
const lines = [
  "| model | method | test accuracy | drop vs fp32 (pp) | model bytes | fp32 bytes / bytes | logit MSE vs fp32 | same class as fp32 |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
];
const fp32Bytes = new Map(results.rows.filter((r) => r.method === "fp32").map((r) => [r.model, r.bytes]));
for (const r of results.rows) {
  const ratio = (fp32Bytes.get(r.model) ?? r.bytes) / r.bytes;
  lines.push(
    `| ${r.model} | ${r.method} | ${(r.accuracy * 100).toFixed(2)}% | ${r.dropPp.toFixed(2)} | ${r.bytes.toLocaleString("en-US")} | ${ratio.toFixed(2)}× | ${r.logitMse.toExponential(2)} | ${(r.agreement * 100).toFixed(2)}% |`,
  );
}
process.stdout.write(`${lines.join("\n")}\n`);

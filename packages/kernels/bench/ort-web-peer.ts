// Child process: onnxruntime-web's wasm backend fixes its thread count at first use, so each
// thread count runs in its own process. argv: <threads> <cases JSON file>; prints JSON results.
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-web";
import { type BenchCase, inputsFor, timeIt, weightsFor } from "./cases";
import { INPUT_TYPE, peerModel } from "./ort-peers";

const threads = Number(process.argv[2]);
const cases = JSON.parse(readFileSync(process.argv[3]!, "utf8")) as BenchCase[];
ort.env.wasm.numThreads = threads;
ort.env.wasm.simd = true;
const results: Record<string, number | null> = {};
for (const c of cases) {
  try {
    const w = weightsFor(c);
    const session = await ort.InferenceSession.create(peerModel(c.op, c.m, c.k, c.n, w.weight, w.scales), {
      executionProviders: ["wasm"],
    });
    const input = new ort.Tensor(INPUT_TYPE[c.op], inputsFor(c), [c.m, c.k]);
    results[c.id] = await timeIt(async () => {
      await session.run({ A: input });
    }, c);
    await session.release();
  } catch (error) {
    process.stderr.write(`ort-web ${c.id}: ${String(error)}\n`);
    results[c.id] = null;
  }
}
process.stdout.write(`${JSON.stringify(results)}\n`);
process.exit(0);

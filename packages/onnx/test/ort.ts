import * as ortNode from "onnxruntime-node";
import * as ortWeb from "onnxruntime-web";

ortWeb.env.wasm.numThreads = 1;

// Sessions are cached per model bytes object, so streaming many frames through one model is cheap.
const nodeSessions = new WeakMap<Uint8Array, unknown>();
const webSessions = new WeakMap<Uint8Array, unknown>();

export type Feeds = Record<
  string,
  { type: "float32" | "int64" | "int32"; data: Float32Array | BigInt64Array | Int32Array; dims: number[] }
>;

/** Runs a serialized model in onnxruntime-node or onnxruntime-web (wasm) and returns float outputs. */
export async function runOnnx(
  bytes: Uint8Array,
  feeds: Feeds,
  runtime: "node" | "web" = "node",
  outputNames?: string[],
  graphOptimizationLevel: "disabled" | "basic" | "extended" | "all" = "all",
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const ort = (runtime === "node" ? ortNode : ortWeb) as typeof ortNode;
  const cache = runtime === "node" ? nodeSessions : webSessions;
  const key = `${graphOptimizationLevel}`;
  const sessions = (cache.get(bytes) ?? new Map()) as Map<string, ortNode.InferenceSession>;
  cache.set(bytes, sessions);
  let session = sessions.get(key);
  if (session === undefined) {
    const options = { graphOptimizationLevel, ...(runtime === "web" ? { executionProviders: ["wasm"] } : {}) };
    session = await ort.InferenceSession.create(bytes, options);
    sessions.set(key, session);
  }
  const inputs: Record<string, ortNode.Tensor> = {};
  for (const [name, feed] of Object.entries(feeds)) inputs[name] = new ort.Tensor(feed.type, feed.data, feed.dims);
  const results = await session.run(inputs, outputNames ?? session.outputNames);
  const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const [name, tensor] of Object.entries(results))
    out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
  return out;
}

export function float(data: Float32Array, dims: number[]) {
  return { type: "float32" as const, data, dims };
}

import { readFileSync } from "node:fs";
import { readOnnx, writeOnnx } from "../src/read-onnx";
import { forEachGraph } from "../src/graph-walk";
for (const v of ["legacy", "v5", "v6"]) {
  const bytes = readFileSync(`node_modules/@ricky0123/vad-web/dist/silero_vad_${v}.onnx`);
  const m = readOnnx(new Uint8Array(bytes));
  const out = writeOnnx(m).bytes;
  console.log(v, m.irVersion, JSON.stringify(m.opsetImport), bytes.length, out.length, Buffer.compare(Buffer.from(out), bytes));
  forEachGraph(m, (g, loc) => {
    const ops: Record<string, number> = {};
    for (const n of g.node ?? []) ops[n.opType!] = (ops[n.opType!] ?? 0) + 1;
    console.log(" ", loc.path.slice(0, 80), "init", g.initializer?.length, JSON.stringify(ops));
    for (const t of g.initializer ?? []) if ((t.rawData?.length ?? 0) > 1000) console.log("    I", t.name, t.dims, t.dataType);
    for (const n of g.node ?? []) if (n.opType === "Constant") { const t = n.attribute?.[0]?.t; if (t && (t.rawData?.length ?? 0) > 1000) console.log("    C", n.output?.[0], t.dims, t.dataType); }
  });
  console.log(" inputs", m.graph?.input?.map((i) => `${i.name}:${i.type?.tensorType?.elemType}:${JSON.stringify(i.type?.tensorType?.shape?.dim)}`).join(" "));
  console.log(" outputs", m.graph?.output?.map((i) => i.name).join(" "));
}

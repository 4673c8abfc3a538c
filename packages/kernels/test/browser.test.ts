import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gemm_f32__ref, matmul_x8x8s32__ref, spmm_f32csr__ref } from "../src/ref/reference-kernels";
import { expectClose, expectExact, randomBytes, randomFloats } from "./helpers";

/**
 * Loads the BUILT package (dist/) in headless Chromium from a loopback server and checks
 * its products against the JS reference. Fails (never skips) when dist/ or Chromium is
 * missing: run `pnpm --filter @mc/kernels build` first. `@mc/core` resolves through an
 * import map, the browser's own module resolution; no bundler is involved.
 */
const here = dirname(fileURLToPath(import.meta.url));
const kernelsDist = join(here, "..", "dist");
const coreDist = join(here, "..", "..", "core", "dist");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const PAGE = `<!doctype html><html><head>
<script type="importmap">{ "imports": { "@mc/core": "/core/index.js" } }</script>
</head><body>kernels browser test</body></html>`;

let server: Server;
let origin = "";

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    let file: string | undefined;
    if (url.pathname === "/") {
      response.writeHead(200, { "content-type": "text/html" });
      response.end(PAGE);
      return;
    }
    if (url.pathname.startsWith("/kernels/")) file = join(kernelsDist, normalize(url.pathname.slice(9)));
    if (url.pathname.startsWith("/core/")) file = join(coreDist, normalize(url.pathname.slice(6)));
    if (file === undefined || !existsSync(file) || !(file.startsWith(kernelsDist) || file.startsWith(coreDist))) {
      response.writeHead(404);
      response.end();
      return;
    }
    response.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "application/octet-stream" });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe("built package in headless Chromium", () => {
  it("runs the wasm-simd tier and matches the JS reference (matmulInteger bit-exact, gemm within 1e-5)", async () => {
    expect(
      existsSync(join(kernelsDist, "index.js")),
      "dist/index.js missing: run `pnpm --filter @mc/kernels build`",
    ).toBe(true);
    expect(existsSync(join(coreDist, "index.js")), "packages/core/dist/index.js missing: build @mc/core").toBe(true);
    expect(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`).toBe(true);

    const [m, k, n] = [37, 70, 29];
    const a = randomBytes(Uint8Array, m * k, 11);
    const b = randomBytes(Int8Array, k * n, 12);
    const af = randomFloats(m * k, 13);
    const bf = randomFloats(k * n, 14);
    // A 24×40 sparse layer (every third entry stored) and inputs with zeros, for the packed kernel.
    const columnIndices = Int32Array.from({ length: 24 * 14 }, (_, e) => ((e % 14) * 3 + Math.floor(e / 14)) % 40);
    const rowPointers = Int32Array.from({ length: 25 }, (_, r) => r * 14);
    for (let r = 0; r < 24; r++) columnIndices.subarray(r * 14, r * 14 + 14).sort();
    const sparse = { rows: 24, cols: 40, rowPointers, columnIndices, values: randomFloats(24 * 14, 15) };
    const xs = randomFloats(5 * 40, 16).map((v, i) => (i % 3 === 0 ? 0 : v));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      // A source string, not a function: vitest would rewrite a function's dynamic import().
      const args = JSON.stringify({
        a: Array.from(a),
        b: Array.from(b),
        af: Array.from(af),
        bf: Array.from(bf),
        m,
        k,
        n,
        sparse: {
          rows: sparse.rows,
          cols: sparse.cols,
          rowPointers: Array.from(sparse.rowPointers),
          columnIndices: Array.from(sparse.columnIndices),
          values: Array.from(sparse.values),
        },
        xs: Array.from(xs),
      });
      const result = (await page.evaluate(`(async () => {
        const { a, b, af, bf, m, k, n, sparse, xs } = ${args};
        const kernels = await import("/kernels/index.js");
        const integer = kernels.matmulInteger(Uint8Array.from(a), Int8Array.from(b), { m, k, n, aZeroPoint: 131, bZeroPoint: -7 });
        const float = kernels.gemm(Float32Array.from(af), Float32Array.from(bf), { m, k, n });
        const packed = kernels.packSparseLinear({
          rows: sparse.rows,
          cols: sparse.cols,
          rowPointers: Int32Array.from(sparse.rowPointers),
          columnIndices: Int32Array.from(sparse.columnIndices),
          values: Float32Array.from(sparse.values),
        }, { activation: "relu" });
        const packedOut = [1, 5].map((batch) =>
          Array.from(kernels.sparseLinearPacked(Float32Array.from(xs).subarray(0, batch * sparse.cols), batch, packed)),
        );
        return { tier: kernels.getKernelInfo().tier, integer: Array.from(integer), float: Array.from(float), packedOut };
      })()`)) as { tier: string; integer: number[]; float: number[]; packedOut: number[][] };
      expect(result.tier).toBe("wasm-simd");
      const expected = new Int32Array(m * n);
      matmul_x8x8s32__ref(a, b, expected, m, k, n, new Int32Array(m).fill(131), new Int32Array(n).fill(-7));
      expectExact(result.integer, expected, [m, k, n], "browser matmulInteger");
      const expectedFloat = new Float32Array(m * n);
      gemm_f32__ref(af, bf, expectedFloat, m, k, n, false, false, 1, 0);
      expectClose(result.float, expectedFloat, [m, k, n], { rtol: 1e-5, atol: 1e-5, what: "browser gemm" });
      for (const [i, batch] of [1, 5].entries()) {
        const expectedSparse = new Float32Array(batch * sparse.rows);
        const { rows, cols, rowPointers, columnIndices, values } = sparse;
        const x = xs.subarray(0, batch * cols);
        spmm_f32csr__ref(
          x,
          batch,
          rows,
          cols,
          rowPointers,
          columnIndices,
          (e) => values[e]!,
          undefined,
          expectedSparse,
        );
        const relu = expectedSparse.map((v) => Math.max(0, v));
        expectClose(result.packedOut[i]!, relu, [batch, rows, cols], { what: "browser sparseLinearPacked" });
      }
    } finally {
      await browser.close();
    }
  }, 90_000);
});

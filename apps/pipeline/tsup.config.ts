import { definePackageConfig } from "../../tooling/tsup.preset";

export default definePackageConfig({ entry: ["src/cli.ts"], format: ["esm"], platform: "node", dts: false });

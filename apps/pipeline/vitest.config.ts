import { definePackageTestConfig } from "../../tooling/vitest.preset";

export default definePackageTestConfig({ testTimeout: 300_000 });

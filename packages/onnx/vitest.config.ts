import { definePackageTestConfig } from "../../tooling/vitest.preset";

export default definePackageTestConfig();

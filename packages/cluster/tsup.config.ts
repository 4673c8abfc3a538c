import { definePackageConfig } from "../../tooling/tsup.preset";

export default definePackageConfig();

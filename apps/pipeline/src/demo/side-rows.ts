import type { Tensor } from "@mc/core";
import type { Dataset } from "@mc/nn";
import type { ProgressReporter } from "../progress";
import type { DemoRecipe } from "./deep-compression";

export interface SideRow {
  name: string;
  bytes: number;
  accuracy: number;
  bytesFrom: string;
  note?: string;
}

export interface SideRowOptions {
  recipe: DemoRecipe;
  data: { train: Dataset; test: Dataset };
  seed: number;
  epochScale: number;
  progress: ProgressReporter;
  baselineParameters: Record<string, Tensor>;
}

/** Rows beside Deep Compression: PTQ, QAT, low-rank and distillation (filled in as they land). */
export async function runSideRows(_options: SideRowOptions): Promise<SideRow[]> {
  return [];
}

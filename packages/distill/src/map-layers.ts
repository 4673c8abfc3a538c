import { assertInteger, assertOneOf, InvalidArgumentError } from "@mc/core";

export type LayerMappingStrategy = "uniform" | "top" | "bottom";

/**
 * Which teacher layer each student layer learns from (0-based; entry m is student layer m's
 * teacher layer), for a teacher of N blocks and a student of M ≤ N blocks:
 * - `uniform`: every (N/M)-th layer, TinyBERT's g(m) = m·N/M (1-based), i.e. the last
 *   layer of each of M equal groups, floor'd when N is not a multiple of M;
 * - `top`: the last M teacher layers (N − M + m);
 * - `bottom`: the first M teacher layers (m), DistilBERT-style initialization order.
 * TinyBERT found `uniform` best; `top`/`bottom` are its ablations.
 */
export function mapLayers(
  teacherDepth: number,
  studentDepth: number,
  strategy: LayerMappingStrategy = "uniform",
): number[] {
  const caller = "mapLayers";
  assertInteger(teacherDepth, caller, "teacherDepth", { min: 1 });
  assertInteger(studentDepth, caller, "studentDepth", { min: 1 });
  assertOneOf(strategy, ["uniform", "top", "bottom"] as const, caller, "strategy");
  if (studentDepth > teacherDepth) {
    throw new InvalidArgumentError({
      message: `${caller}: studentDepth ${studentDepth} exceeds teacherDepth ${teacherDepth}; each student layer needs its own teacher layer`,
      argument: "studentDepth",
      value: studentDepth,
    });
  }
  const mapping: number[] = [];
  for (let m = 0; m < studentDepth; m++) {
    if (strategy === "uniform") mapping.push(Math.floor(((m + 1) * teacherDepth) / studentDepth) - 1);
    else if (strategy === "top") mapping.push(teacherDepth - studentDepth + m);
    else mapping.push(m);
  }
  return mapping;
}

export interface TransformerLayerPairs {
  hiddenPairs: { student: string; teacher: string; loss: "mse" }[];
  attentionPairs: { student: string; teacher: string }[];
}

/**
 * TinyBERT's layer-to-layer objective for `transformerAdapter` taps: the embedding outputs
 * (`hiddenStates.0`, unless `embeddings` is false), then for each student block m the mapped
 * teacher block g(m): block outputs `hiddenStates.<m + 1>` ↔ `hiddenStates.<g + 1>` and
 * scores `attentionScores.<m>` ↔ `attentionScores.<g>`.
 */
export function transformerLayerPairs(
  teacherDepth: number,
  studentDepth: number,
  strategy: LayerMappingStrategy = "uniform",
  options: { embeddings?: boolean } = {},
): TransformerLayerPairs {
  const { embeddings = true } = options;
  const mapping = mapLayers(teacherDepth, studentDepth, strategy);
  const hiddenPairs: TransformerLayerPairs["hiddenPairs"] = embeddings
    ? [{ student: "hiddenStates.0", teacher: "hiddenStates.0", loss: "mse" }]
    : [];
  const attentionPairs: TransformerLayerPairs["attentionPairs"] = [];
  mapping.forEach((teacherLayer, studentLayer) => {
    hiddenPairs.push({
      student: `hiddenStates.${studentLayer + 1}`,
      teacher: `hiddenStates.${teacherLayer + 1}`,
      loss: "mse",
    });
    attentionPairs.push({ student: `attentionScores.${studentLayer}`, teacher: `attentionScores.${teacherLayer}` });
  });
  return { hiddenPairs, attentionPairs };
}

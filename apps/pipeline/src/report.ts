/** The demo's report: the JSON written to report.json and the inputs of report.html. */
export interface StageRow {
  name: string;
  /** Bytes of the weights as this stage stores them (fp32 baseline: 4 × parameters). */
  bytes: number;
  /** Baseline bytes / these bytes. */
  ratio: number;
  /** Test accuracy as a fraction in [0, 1]. */
  accuracy: number;
  /** How the bytes were counted, e.g. "file on disk" or "int8 weights + fp32 scales and biases". */
  bytesFrom: string;
  note?: string;
}

export interface Histogram {
  /** Left edge of the first bin and width of every bin. */
  min: number;
  binWidth: number;
  counts: number[];
}

export interface LayerReport {
  name: string;
  shape: number[];
  parameters: number;
  sparsity: number;
  clusters: number;
  /** Bits of a cluster index (weight sharing) and of a relative index (gap). */
  bits: number;
  indexBits: number;
  histograms: { trained: Histogram; pruned: Histogram; clustered: Histogram };
}

export interface SectionSize {
  layer: string;
  section: string;
  bytes: number;
}

export interface DemoReport {
  model: string;
  dataset: { train: number; test: number; seed: number; source: string };
  stages: StageRow[];
  artifact: { path: string; bytes: number; accuracy: number };
  layers: LayerReport[];
  sizeBreakdown: SectionSize[];
  seconds: number;
  createdAt: string;
  machine: string;
}

/** Histogram of the nonzero values (pruned zeros would swamp the plot) over fixed bins. */
export function histogram(values: Float32Array, bins = 60, range?: [number, number]): Histogram {
  let min = range ? range[0] : Number.POSITIVE_INFINITY;
  let max = range ? range[1] : Number.NEGATIVE_INFINITY;
  if (!range) {
    for (const v of values) {
      if (v === 0) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min)
    return { min: 0, binWidth: 1, counts: new Array(bins).fill(0) };
  const binWidth = (max - min) / bins;
  const counts = new Array(bins).fill(0);
  for (const v of values) {
    if (v === 0 || v < min || v > max) continue;
    counts[Math.min(bins - 1, Math.floor((v - min) / binWidth))]++;
  }
  return { min, binWidth, counts };
}

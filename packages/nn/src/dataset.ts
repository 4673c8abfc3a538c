import { assertInteger, formatShape, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";

/** Images with integer labels; `images` holds `count` samples of `shape` each, row-major. */
export interface Dataset {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  /** Shape of one sample, e.g. [1, 28, 28]. */
  shape: [number, number, number];
}

/** Throws unless the dataset's arrays agree with its count and shape. */
export function assertDataset(data: Dataset, caller: string): void {
  if (typeof data !== "object" || data === null || !(data.images instanceof Float32Array)) {
    throw new InvalidArgumentError({
      message: `${caller}: data must be a Dataset { images: Float32Array, labels, count, shape }`,
      argument: "data",
    });
  }
  const sampleSize = data.shape.reduce((a, b) => a * b, 1);
  if (data.images.length !== data.count * sampleSize || data.labels.length !== data.count) {
    throw new ShapeMismatchError({
      message: `${caller}: data has ${data.images.length} image values and ${data.labels.length} labels, but count ${data.count} × shape ${formatShape(data.shape)} needs ${data.count * sampleSize} and ${data.count}`,
      expected: [data.count * sampleSize],
      actual: [data.images.length],
    });
  }
  if (data.count === 0) {
    throw new InvalidArgumentError({ message: `${caller}: data is empty (count 0)`, argument: "data", value: 0 });
  }
}

/** Samples [start, start + count) as a new dataset (copies). */
export function sliceDataset(data: Dataset, start: number, count: number): Dataset {
  assertDataset(data, "sliceDataset");
  assertInteger(start, "sliceDataset", "start", { min: 0, max: data.count });
  assertInteger(count, "sliceDataset", "count", { min: 0, max: data.count - start });
  const size = data.shape.reduce((a, b) => a * b, 1);
  return {
    images: data.images.slice(start * size, (start + count) * size),
    labels: data.labels.slice(start, start + count),
    count,
    shape: [...data.shape] as [number, number, number],
  };
}

/** The samples at `indices`, stacked as a [indices.length, ...shape] tensor, with their labels. */
export function gatherBatch(
  data: Dataset,
  indices: ArrayLike<number>,
  start = 0,
  end = indices.length,
): { input: Tensor; labels: Uint8Array } {
  const size = data.shape.reduce((a, b) => a * b, 1);
  const count = end - start;
  const images = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const index = indices[start + i] as number;
    images.set(data.images.subarray(index * size, (index + 1) * size), i * size);
    labels[i] = data.labels[index] as number;
  }
  return { input: { data: images, shape: [count, ...data.shape] }, labels };
}

import { describe, expect, it } from "vitest";
import { InvalidArgumentError, ShapeMismatchError } from "./errors";
import {
  assertRank,
  assertSameShape,
  assertTensor,
  createTensor,
  elementCount,
  formatShape,
  isTensor,
  shapesEqual,
  zeros,
} from "./tensor";
import { assertAllFinite, assertFiniteNumber, assertInteger, assertOneOf, findNonFinite } from "./validate";

describe("tensor helpers", () => {
  it("elementCount multiplies dimensions; a scalar has one element; zero-sized dims give 0", () => {
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([])).toBe(1);
    expect(elementCount([5, 0, 7])).toBe(0);
  });

  it("elementCount rejects negative, fractional and overflowing dimensions with the shape in the message", () => {
    expect(() => elementCount([2, -1])).toThrow(/dimension 1 of shape \[2, -1\]/);
    expect(() => elementCount([2.5])).toThrow(InvalidArgumentError);
    expect(() => elementCount([2 ** 30, 2 ** 30, 2 ** 30])).toThrow(/safe integer/);
  });

  it("createTensor checks the data length against the shape", () => {
    const t = createTensor(new Float32Array(6), [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    const error = (() => {
      try {
        createTensor(new Float32Array(5), [2, 3], "quantizePerTensor");
      } catch (e) {
        return e;
      }
    })();
    expect(ShapeMismatchError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe("quantizePerTensor: data has 5 elements but shape [2, 3] needs 6");
  });

  it("createTensor copies the shape so later edits of the caller's array do not leak in", () => {
    const shape = [2, 2];
    const t = createTensor(new Float32Array(4), shape);
    shape[0] = 9;
    expect(t.shape).toEqual([2, 2]);
  });

  it("zeros, isTensor, assertTensor, assertRank, assertSameShape, shapesEqual, formatShape", () => {
    const z = zeros([3, 2]);
    expect(z.data).toEqual(new Float32Array(6));
    expect(isTensor(z)).toBe(true);
    expect(isTensor({ data: new Float32Array(3), shape: [2, 2] })).toBe(false);
    expect(isTensor({ data: [1, 2], shape: [2] })).toBe(false);
    expect(() => assertTensor({ data: new Float32Array(3), shape: [2, 2] }, "f", "weight")).toThrow(
      "f: weight.data has 3 elements but its shape [2, 2] needs 4",
    );
    expect(() => assertTensor(null, "f")).toThrow(InvalidArgumentError);
    expect(() => assertRank(z, 3, "f", "weight")).toThrow("f: weight must have rank 3, got shape [3, 2]");
    expect(() => assertSameShape(z, zeros([2, 3]), "f")).toThrow("f: a has shape [3, 2] but b has shape [2, 3]");
    expect(shapesEqual([1, 2], [1, 2])).toBe(true);
    expect(shapesEqual([1, 2], [1, 2, 1])).toBe(false);
    expect(formatShape([64, 128])).toBe("[64, 128]");
  });
});

describe("validators", () => {
  it("assertInteger states the range and the value", () => {
    expect(assertInteger(3, "f", "bits", { min: 1, max: 16 })).toBe(3);
    expect(() => assertInteger(17, "f", "bits", { min: 1, max: 16 })).toThrow(
      "f: bits must be an integer in [1, 16], got 17",
    );
    expect(() => assertInteger(0, "f", "k", { min: 1 })).toThrow("f: k must be an integer >= 1, got 0");
    expect(() => assertInteger(1.5, "f", "k")).toThrow("f: k must be an integer, got 1.5");
  });

  it("assertFiniteNumber rejects NaN, Infinity and out-of-range values", () => {
    expect(assertFiniteNumber(0.5, "f", "scale", { min: 0, exclusiveMin: true })).toBe(0.5);
    expect(() => assertFiniteNumber(0, "f", "scale", { min: 0, exclusiveMin: true })).toThrow(
      "f: scale must be a finite number > 0, got 0",
    );
    expect(() => assertFiniteNumber(Number.NaN, "f", "scale")).toThrow(/got NaN/);
    expect(() => assertFiniteNumber(2, "f", "sparsity", { min: 0, max: 1 })).toThrow(/>= 0 and <= 1, got 2/);
  });

  it("assertOneOf lists the allowed values", () => {
    expect(assertOneOf("int8", ["int8", "uint8"], "f", "dtype")).toBe("int8");
    expect(() => assertOneOf("int3", ["int8", "uint8"], "f", "dtype")).toThrow(
      'f: dtype must be one of "int8", "uint8", got "int3"',
    );
  });

  it("findNonFinite and assertAllFinite locate the first NaN or Infinity", () => {
    expect(findNonFinite(new Float32Array([1, 2, 3]))).toBe(-1);
    expect(findNonFinite(new Float32Array([1, Number.NaN, Number.POSITIVE_INFINITY]))).toBe(1);
    expect(() => assertAllFinite([0, 1, Number.NEGATIVE_INFINITY], "f", "weight")).toThrow(
      "f: weight has a non-finite value -Infinity at index 2",
    );
  });
});

import { createRng } from "@mc/core";
import { describe, expect, it } from "vitest";
import { activationScales, factorizeLinearActivationAware, layerOutputError } from "./activation-aware";
import { factorizeLinear } from "./factorize-linear";

/** Inputs whose channels differ in scale by orders of magnitude, as real activations do. */
function skewedActivations(count: number, channels: number, seed: number) {
  const scaleRng = createRng(1234); // the same channel scales for calibration and held-out data
  const channelScale = Array.from({ length: channels }, () =>
    Math.exp(scaleRng.uniformRange(Math.log(0.01), Math.log(10))),
  );
  const rng = createRng(seed);
  const data = new Float32Array(count * channels);
  for (let s = 0; s < count; s++)
    for (let j = 0; j < channels; j++) data[s * channels + j] = rng.normal() * channelScale[j]!;
  return { data, shape: [count, channels] };
}

describe("activation-aware factorization (ASVD)", () => {
  it("activationScales: mean |x| and rms per channel, to the power alpha", () => {
    const activations = { data: Float32Array.from([1, -4, 3, 0, -1, 0]), shape: [3, 2] };
    const meanAbs = activationScales(activations, { alpha: 1 });
    expect(meanAbs[0]).toBeCloseTo(5 / 3, 6);
    expect(meanAbs[1]).toBeCloseTo(4 / 3, 6);
    const rms = activationScales(activations, { statistic: "rms", alpha: 0.5 });
    expect(rms[0]).toBeCloseTo(Math.sqrt(Math.sqrt(11 / 3)), 6);
    const dead = activationScales({ data: Float32Array.from([2, 0, 2, 0]), shape: [2, 2] }, { alpha: 1 });
    expect(dead[1]).toBeCloseTo(2e-6, 12); // floored, never zero
  });

  it("cuts the layer-output error relative to plain SVD when input channels are unevenly scaled", () => {
    const rng = createRng(8);
    const weight = { data: rng.fillNormal(new Float32Array(64 * 96)), shape: [64, 96] };
    const calibration = skewedActivations(256, 96, 1);
    const heldOut = skewedActivations(256, 96, 2);
    for (const rank of [8, 16, 32]) {
      const plain = factorizeLinear(weight, { rank });
      const aware = factorizeLinearActivationAware(weight, calibration, { rank });
      const plainError = layerOutputError(weight, plain, heldOut).relative;
      const awareError = layerOutputError(weight, aware, heldOut).relative;
      expect(awareError, `rank ${rank}: aware ${awareError} vs plain ${plainError}`).toBeLessThan(plainError * 0.9);
      // Plain SVD stays optimal in weight space.
      expect(plain.absoluteError).toBeLessThanOrEqual(aware.absoluteError);
    }
  });

  it("layerOutputError is zero for an exactly low-rank weight and matches a direct computation", () => {
    const rng = createRng(3);
    const left = { data: rng.fillNormal(new Float32Array(5 * 2)), shape: [5, 2] };
    const right = { data: rng.fillNormal(new Float32Array(2 * 7)), shape: [2, 7] };
    const weight = new Float32Array(35);
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 7; j++)
        weight[i * 7 + j] = left.data[i * 2]! * right.data[j]! + left.data[i * 2 + 1]! * right.data[7 + j]!;
    const x = { data: rng.fillNormal(new Float32Array(4 * 7)), shape: [4, 7] };
    expect(
      layerOutputError({ data: weight, shape: [5, 7] }, { leftFactor: left, rightFactor: right }, x).absolute,
    ).toBeLessThan(1e-5);
    const zeroRight = { data: new Float32Array(14), shape: [2, 7] };
    const error = layerOutputError({ data: weight, shape: [5, 7] }, { leftFactor: left, rightFactor: zeroRight }, x);
    expect(error.relative).toBeCloseTo(1, 10);
  });

  it("rejects mismatched shapes", () => {
    const weight = { data: new Float32Array(20).fill(1), shape: [4, 5] };
    const x = { data: new Float32Array(12), shape: [3, 4] };
    expect(() => factorizeLinearActivationAware(weight, x, { rank: 1 })).toThrowError(
      /factorizeLinearActivationAware: activations have shape \[3, 4\] but the weight \[4, 5\] takes 5 inputs/,
    );
    const plain = factorizeLinear(weight, { rank: 1 });
    expect(() => layerOutputError(weight, plain, x)).toThrowError(/layerOutputError: shapes do not chain/);
    expect(() => activationScales({ data: new Float32Array(3), shape: [3] })).toThrowError(
      /activations must be a matrix/,
    );
    expect(() => activationScales(x, { statistic: "max" as never })).toThrowError(/options.statistic/);
  });
});

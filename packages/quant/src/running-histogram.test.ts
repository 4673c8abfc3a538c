import { describe, expect, it } from "vitest";
import { RunningHistogram } from "./running-histogram";

describe("RunningHistogram", () => {
  it("bins like torch.histc (the max lands in the last bin) and conserves mass when the range widens", () => {
    const h = new RunningHistogram(4);
    h.add(Float32Array.of(0, 1, 2, 3, 4));
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 2]);
    h.add(Float32Array.of(-4, 8));
    expect(h.min).toBe(-4);
    expect(h.max).toBe(8);
    expect(h.total).toBe(7);
    const sum = h.counts.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(7, 12);
    // Old mass on [0, 4] now lies in the new bins [-1, 2) and [2, 5) (width 3), spread by overlap.
    expect(h.counts[0]).toBeCloseTo(1, 12); // the -4 alone
    expect((h.counts[1] as number) + (h.counts[2] as number)).toBeCloseTo(5, 12);
    expect(h.counts[3]).toBeCloseTo(1, 12); // the 8
  });

  it("absolute mode pins the range at 0 and histograms |x|", () => {
    const h = new RunningHistogram(2);
    h.add(Float32Array.of(-3, 1), true);
    expect(h.min).toBe(0);
    expect(h.max).toBe(3);
    expect(Array.from(h.counts)).toEqual([1, 1]);
  });

  it("quantile interpolates inside the crossing bin", () => {
    const h = new RunningHistogram(10);
    h.add(Float32Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000));
    expect(h.quantile(0.25)).toBeCloseTo(0.25, 2);
    expect(h.quantile(0.999)).toBeCloseTo(0.999, 2);
  });
});

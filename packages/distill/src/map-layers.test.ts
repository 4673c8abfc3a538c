import { describe, expect, it } from "vitest";
import { mapLayers } from "./map-layers";

describe("mapLayers", () => {
  it("TinyBERT's uniform g(m) = m·N/M: 4-layer student of BERT-base takes layers 3, 6, 9, 12 (1-based)", () => {
    expect(mapLayers(12, 4, "uniform")).toEqual([2, 5, 8, 11]);
    expect(mapLayers(4, 2)).toEqual([1, 3]);
    expect(mapLayers(6, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(mapLayers(7, 3)).toEqual([1, 3, 6]); // floor(7/3)=2, floor(14/3)=4, 7 → 1-based 2, 4, 7
  });

  it("top takes the last M teacher layers and bottom the first M", () => {
    expect(mapLayers(12, 4, "top")).toEqual([8, 9, 10, 11]);
    expect(mapLayers(12, 4, "bottom")).toEqual([0, 1, 2, 3]);
    expect(mapLayers(4, 2, "top")).toEqual([2, 3]);
  });

  it("every strategy is strictly increasing and within the teacher", () => {
    for (let teacher = 1; teacher <= 12; teacher++) {
      for (let student = 1; student <= teacher; student++) {
        for (const strategy of ["uniform", "top", "bottom"] as const) {
          const mapping = mapLayers(teacher, student, strategy);
          expect(mapping.length).toBe(student);
          for (let m = 0; m < student; m++) {
            expect(mapping[m]!).toBeGreaterThanOrEqual(0);
            expect(mapping[m]!).toBeLessThan(teacher);
            if (m > 0)
              expect(mapping[m]!, `${strategy} ${teacher}→${student} at ${m}`).toBeGreaterThan(mapping[m - 1]!);
          }
        }
      }
    }
  });

  it("rejects a deeper student, non-integer depths and unknown strategies", () => {
    expect(() => mapLayers(2, 4)).toThrowError(/mapLayers: studentDepth 4 exceeds teacherDepth 2/);
    expect(() => mapLayers(0, 1)).toThrowError(/teacherDepth must be an integer >= 1/);
    expect(() => mapLayers(4, 1.5)).toThrowError(/studentDepth/);
    expect(() => mapLayers(4, 2, "middle" as never)).toThrowError(/strategy must be one of "uniform", "top", "bottom"/);
  });
});

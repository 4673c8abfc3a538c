import { FormatError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { parseStrictJson } from "./strict-json";

describe("parseStrictJson", () => {
  it("parses what JSON.parse parses, on a mixed document", () => {
    const text = ' {"a": [1, -2.5e3, true, false, null], "b": {"c": "x\\"\\u00e9\\n"}, "d": [] , "e": {}} ';
    expect(JSON.parse(JSON.stringify(parseStrictJson(text)))).toEqual(JSON.parse(text));
  });

  it("rejects duplicate keys that JSON.parse would silently merge", () => {
    expect(() => parseStrictJson('{"w": 1, "w": 2}')).toThrow(/duplicate key "w"/);
  });

  it("keeps a __proto__ key as plain data without touching any prototype", () => {
    const value = parseStrictJson('{"__proto__": {"polluted": "yes"}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(null);
    expect(Object.hasOwn(value, "__proto__")).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("bounds nesting depth and rejects malformed text with FormatError", () => {
    expect(() => parseStrictJson("[".repeat(100) + "]".repeat(100))).toThrow(/deeper than 32/);
    for (const bad of ["", "{", '{"a"}', '{"a":1,}', "[1 2]", "01", "1e999", '"\u0001"', "tru", '{"a":1} x', "'a'"]) {
      let error: unknown;
      try {
        parseStrictJson(bad);
      } catch (e) {
        error = e;
      }
      if (!FormatError.isInstance(error)) throw new Error(`input ${JSON.stringify(bad)} gave ${String(error)}`);
    }
  });
});

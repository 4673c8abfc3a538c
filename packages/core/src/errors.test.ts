import { describe, expect, it } from "vitest";
import { FormatError, InvalidArgumentError, McError, ShapeMismatchError, UnsupportedError } from "./errors";

describe("McError family", () => {
  it("carries a stable code, name, message and cause", () => {
    const cause = new Error("inner");
    const error = new FormatError({ message: "readX: header truncated at byte 8", offset: 8, cause });
    expect(error.code).toBe("MC_FORMAT");
    expect(error.name).toBe("FormatError");
    expect(error.message).toBe("readX: header truncated at byte 8");
    expect(error.offset).toBe(8);
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
  });

  it("isInstance identifies each subclass and the base", () => {
    const errors = [
      new InvalidArgumentError({ message: "m", argument: "axis", value: 3 }),
      new ShapeMismatchError({ message: "m", expected: [2], actual: [3] }),
      new FormatError({ message: "m" }),
      new UnsupportedError({ message: "m", feature: "int2" }),
    ];
    const checks = [InvalidArgumentError, ShapeMismatchError, FormatError, UnsupportedError];
    for (const [i, error] of errors.entries()) {
      expect(McError.isInstance(error)).toBe(true);
      for (const [j, check] of checks.entries()) expect(check.isInstance(error)).toBe(i === j);
    }
    expect(McError.isInstance(new Error("plain"))).toBe(false);
    expect(McError.isInstance(null)).toBe(false);
    expect(McError.isInstance("MC_FORMAT")).toBe(false);
  });

  it("isInstance works on an error from another copy of the package (marker, not instanceof)", () => {
    // A structurally foreign object carrying the global markers, as a duplicate install would make.
    const foreign = Object.assign(new Error("from elsewhere"), {
      [Symbol.for("mc.error")]: true,
      [Symbol.for("mc.error.FormatError")]: true,
      code: "MC_FORMAT",
    });
    expect(foreign instanceof McError).toBe(false);
    expect(McError.isInstance(foreign)).toBe(true);
    expect(FormatError.isInstance(foreign)).toBe(true);
    expect(InvalidArgumentError.isInstance(foreign)).toBe(false);
  });
});

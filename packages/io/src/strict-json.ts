import { FormatError } from "@mc/core";

/**
 * A small strict JSON parser for untrusted file headers. Unlike `JSON.parse` it rejects
 * duplicate object keys (which `JSON.parse` silently resolves to the last one, letting two
 * readers disagree about a file), bounds nesting depth, and builds objects without a
 * prototype so a `"__proto__"` key is just data.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface ParseJsonOptions {
  /** Name of the calling function, used in error messages. */
  caller?: string;
  /** Deepest allowed nesting of arrays and objects. */
  maxDepth?: number;
}

const whitespace = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function parseStrictJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  const { caller = "parseStrictJson", maxDepth = 32 } = options;
  let pos = 0;

  const fail = (what: string): never => {
    throw new FormatError({ message: `${caller}: header JSON ${what} at character ${pos}`, offset: pos });
  };
  const skipWhitespace = (): void => {
    while (pos < text.length && whitespace.has(text.charCodeAt(pos))) pos++;
  };

  const parseString = (): string => {
    pos++; // opening quote
    let out = "";
    let start = pos;
    while (true) {
      if (pos >= text.length) fail("has an unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail("has a raw control character in a string");
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        pos += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("has a bad \\u escape");
            out += String.fromCharCode(Number.parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            pos -= 2;
            fail("has a bad escape");
        }
        start = pos;
        continue;
      }
      pos++;
    }
  };

  const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const parseNumber = (): number => {
    numberPattern.lastIndex = pos;
    const match = numberPattern.exec(text);
    if (match === null || match[0].length === 0) return fail("has a bad number");
    pos += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) fail(`has a number out of range (${match[0]})`);
    return value;
  };

  const parseValue = (depth: number): JsonValue => {
    skipWhitespace();
    if (pos >= text.length) fail("ends early");
    const c = text[pos];
    if (c === "{") {
      if (depth >= maxDepth) fail(`nests deeper than ${maxDepth}`);
      pos++;
      const object: JsonObject = Object.create(null);
      skipWhitespace();
      if (text[pos] === "}") {
        pos++;
        return object;
      }
      while (true) {
        skipWhitespace();
        if (text[pos] !== '"') fail("expects a string key");
        const key = parseString();
        if (Object.hasOwn(object, key)) fail(`has the duplicate key ${JSON.stringify(key)}`);
        skipWhitespace();
        if (text[pos] !== ":") fail("expects ':'");
        pos++;
        object[key] = parseValue(depth + 1);
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "}") {
          pos++;
          return object;
        }
        fail("expects ',' or '}'");
      }
    }
    if (c === "[") {
      if (depth >= maxDepth) fail(`nests deeper than ${maxDepth}`);
      pos++;
      const array: JsonValue[] = [];
      skipWhitespace();
      if (text[pos] === "]") {
        pos++;
        return array;
      }
      while (true) {
        array.push(parseValue(depth + 1));
        skipWhitespace();
        if (text[pos] === ",") {
          pos++;
          continue;
        }
        if (text[pos] === "]") {
          pos++;
          return array;
        }
        fail("expects ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith("true", pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith("false", pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith("null", pos)) {
      pos += 4;
      return null;
    }
    return parseNumber();
  };

  const value = parseValue(0);
  skipWhitespace();
  if (pos !== text.length) fail("has trailing characters");
  return value;
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

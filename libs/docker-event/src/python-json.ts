import { isLosslessNumber, parse } from "lossless-json";

/**
 * Serializes like Python's json.dumps with its defaults (", " and ": "
 * separators, non-ASCII escaped), which is how the seed's full_log reads.
 * Numbers keep the engine's digits: values come from a lossless parse.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (isLosslessNumber(value)) return value.value;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return pythonString(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonString(k)}: ${pythonJsonDumps(v)}`);
    return `{${entries.join(", ")}}`;
  }
  return "null";
}

const NON_ASCII = /[\u0080-\uffff]/;

function pythonString(s: string): string {
  const json = JSON.stringify(s);
  // Almost every engine string is ASCII: skip the replace pass for those.
  if (!NON_ASCII.test(json)) return json;
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Parses JSON without rounding any number (engine timestamps exceed 2^53). */
export function parseLossless(text: string): unknown {
  return parse(text);
}

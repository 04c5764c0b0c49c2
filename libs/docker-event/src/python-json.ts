import { isLosslessNumber, parse } from "lossless-json";
import { MASK } from "./redact.js";

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

const QUOTE = 0x22;
const NOT_PLAIN = /[^\x20-\x7e]|\\/;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Deeper texts take the slow path (which has its own limits). */
const MAX_DEPTH = 64;

/** The only blank NOT_PLAIN lets through (JSON's tab, newline and return are control characters). */
const isBlank = (c: number) => c === 0x20;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** A key a JS object keeps in its place: not `__proto__`, not an array index (nor anything else starting with a digit). */
const plainKey = (key: string) => key !== "__proto__" && !isDigit(key.charCodeAt(0));

/** What plainJsonToPython needs of a Redactor (redact.ts). */
export interface StringRedaction {
  text(s: string): string;
  isSecretKey(key: string): boolean;
}

/**
 * pythonJsonDumps(redact.value(parseLossless(text))) without building the
 * tree (without `redact`: no redaction), for the JSON texts where that is a
 * rewrite of the separators and of the strings redaction changes: the whole
 * text printable ASCII without a backslash (blanks are spaces), so every
 * string decodes to its own characters and JSON.stringify writes it back as
 * it is; no key twice in one object, no key `__proto__` or starting with a
 * digit (a JS object would move or drop it), before or after redaction.
 * Numbers and literals keep their text, as the lossless parse does. A string
 * value under a secret-named key is masked, as the redactor's walk does.
 * Undefined for every other text, valid or not: the caller then takes the
 * slow path, which also reports invalid JSON. It never accepts a text the
 * lossless parse refuses: it checks the same grammar, only less of it.
 */
export function plainJsonToPython(text: string, redact?: StringRedaction): string | undefined {
  const n = text.length;
  let i = 0;
  let out = "";
  /** Start of the text not copied to `out` yet. */
  let from = 0;

  const skipWhitespace = () => {
    if (i < n && isBlank(text.charCodeAt(i))) {
      out += text.slice(from, i);
      while (i < n && isBlank(text.charCodeAt(i))) i++;
      from = i;
    }
  };
  /** A separator gets Python's blank after it. */
  const separator = () => {
    i++;
    out += `${text.slice(from, i)} `;
    from = i;
  };
  /** At a quote: the end of the string's content (every character is plain: checked below), or -1. */
  const stringEnd = (): number => text.indexOf('"', i + 1);
  /** The string from the quote at `start` to the one at `end` is written as `s` (when redaction changed it). */
  const replaceString = (start: number, end: number, s: string) => {
    out += text.slice(from, start) + pythonString(s);
    from = end + 1;
  };
  const digits = (): boolean => {
    if (!isDigit(text.charCodeAt(i))) return false;
    while (isDigit(text.charCodeAt(i))) i++;
    return true;
  };
  /** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?, the lossless parse's own grammar. */
  const number = (): boolean => {
    if (text.charCodeAt(i) === 0x2d) i++;
    if (text.charCodeAt(i) === 0x30) i++;
    else if (!digits()) return false;
    if (text.charCodeAt(i) === 0x2e) {
      i++;
      if (!digits()) return false;
    }
    const e = text.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 0x2b || sign === 0x2d) i++;
      if (!digits()) return false;
    }
    return true;
  };
  const literal = (word: string): boolean => {
    if (!text.startsWith(word, i)) return false;
    i += word.length;
    return true;
  };

  const value = (depth: number, secret = false): boolean => {
    skipWhitespace();
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd();
      if (end < 0) return false;
      if (redact) {
        const s = text.slice(i + 1, end);
        const r = secret ? MASK : redact.text(s);
        if (r !== s) replaceString(i, end, r);
      }
      i = end + 1;
    } else if (c === 0x7b) return depth < MAX_DEPTH && object(depth + 1);
    else if (c === 0x5b) return depth < MAX_DEPTH && array(depth + 1);
    else if (c === 0x74) return literal("true");
    else if (c === 0x66) return literal("false");
    else if (c === 0x6e) return literal("null");
    else return number();
    return true;
  };

  const object = (depth: number): boolean => {
    i++;
    skipWhitespace();
    if (text.charCodeAt(i) === 0x7d) {
      i++;
      return true;
    }
    const keys = new Set<string>();
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return false;
      const end = stringEnd();
      if (end < 0) return false;
      const key = text.slice(i + 1, end);
      if (!plainKey(key)) return false;
      // The redacted keys must be distinct too: the walk's copy would merge two.
      const redacted = redact ? redact.text(key) : key;
      if (keys.has(redacted) || (redacted !== key && !plainKey(redacted))) return false;
      keys.add(redacted);
      if (redacted !== key) replaceString(i, end, redacted);
      i = end + 1;
      skipWhitespace();
      if (text.charCodeAt(i) !== COLON) return false;
      separator();
      if (!value(depth, redact !== undefined && redact.isSecretKey(key))) return false;
      skipWhitespace();
      const c = text.charCodeAt(i);
      if (c === 0x7d) {
        i++;
        return true;
      }
      if (c !== COMMA) return false;
      separator();
      skipWhitespace();
    }
  };

  const array = (depth: number): boolean => {
    i++;
    skipWhitespace();
    if (text.charCodeAt(i) === 0x5d) {
      i++;
      return true;
    }
    for (;;) {
      if (!value(depth)) return false;
      skipWhitespace();
      const c = text.charCodeAt(i);
      if (c === 0x5d) {
        i++;
        return true;
      }
      if (c !== COMMA) return false;
      separator();
    }
  };

  // One native scan instead of one per character: a text with an escape,
  // a control character (tab and newline too, even as blanks) or non-ASCII
  // takes the slow path.
  if (NOT_PLAIN.test(text)) return undefined;
  if (!value(0)) return undefined;
  skipWhitespace();
  if (i !== n) return undefined;
  return out + text.slice(from);
}

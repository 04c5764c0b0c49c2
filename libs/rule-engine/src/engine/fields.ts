import type { DecodedEvent } from "@dockwatch/contracts";

/**
 * Every value at a dotted path of the decoded event, as strings. Lists are
 * walked element by element, so `inspect.mounts.source` gives each mount's
 * source and `inspect.capAdd` each capability; a missing or null value gives
 * none. Objects at the end of the path are given as JSON.
 */
export function fieldValues(event: DecodedEvent, path: string): string[] {
  return valuesAt(event, splitPath(path));
}

// One split array per path string, so the dotted keys below are made once per
// path too. Paths come from the ruleset (templates, same-field lists): few; the
// bound only keeps an unusual caller from growing it without end.
const splitCache = new Map<string, readonly string[]>();
function splitPath(path: string): readonly string[] {
  let parts = splitCache.get(path);
  if (!parts) {
    if (splitCache.size >= 10_000) splitCache.clear();
    parts = path.split(".");
    splitCache.set(path, parts);
  }
  return parts;
}

/** fieldValues with the path already split (compiled conditions split it once). */
export function valuesAt(event: DecodedEvent, parts: readonly string[]): string[] {
  const out: string[] = [];
  collect(event, parts, 0, out);
  return out;
}

function collect(cur: unknown, parts: readonly string[], i: number, out: string[]): void {
  if (cur === null || cur === undefined) return;
  if (Array.isArray(cur)) {
    for (const item of cur) collect(item, parts, i, out);
    return;
  }
  if (i === parts.length) {
    out.push(typeof cur === "object" ? JSON.stringify(cur, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) : String(cur));
    return;
  }
  if (typeof cur !== "object") return;
  const obj = cur as Record<string, unknown>;
  collect(obj[parts[i]!], parts, i + 1, out);
  // A key with dots in it (Docker's attribute "role.new"), as Wazuh's JSON
  // decoder names it: docker.Actor.Attributes.role.new.
  const dotted = dottedKeys(parts)[i]!;
  for (let k = 0; k < dotted.length; k++) {
    const key = dotted[k]!;
    if (Object.hasOwn(obj, key)) collect(obj[key], parts, i + 2 + k, out);
  }
}

// The dotted keys a path can name from each of its positions (parts i..j-1
// joined, for j from i+2), made once per path: matching walks the same
// compiled paths for every event, and joining them anew on every walk was the
// rule engine's top cost in the rules service's profile (issue 13).
const dottedCache = new WeakMap<readonly string[], string[][]>();
function dottedKeys(parts: readonly string[]): string[][] {
  let keys = dottedCache.get(parts);
  if (!keys) {
    keys = parts.map((_, i) => {
      const out: string[] = [];
      for (let j = i + 2; j <= parts.length; j++) out.push(parts.slice(i, j).join("."));
      return out;
    });
    dottedCache.set(parts, keys);
  }
  return keys;
}

/** The first value at a dotted path, or undefined. */
export function fieldValue(event: DecodedEvent, path: string): string | undefined {
  return fieldValues(event, path)[0];
}

/** `$(field)` interpolation, as in Wazuh rule descriptions; a list gives its values comma-separated. */
export function interpolate(template: string, event: DecodedEvent): string {
  return template.replace(/\$\(([\w.@-]+)\)/g, (_, path: string) => fieldValues(event, path).join(", "));
}

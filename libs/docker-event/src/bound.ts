import { RecordError } from "@dockwatch/errors";
import type { DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { isLosslessNumber, parse, stringify } from "lossless-json";

/**
 * Byte bounds of what a Docker host sends us. A host controls labels,
 * attributes and exec command lines, so without bounds one crafted event
 * makes a record the broker refuses (and padding hides an event from the
 * rules). Oversized values are cut, never dropped, and the cut is visible.
 */
export interface Bounds {
  /** One string: an attribute or label (key or value), an exec argument, an inspect fact, the action. */
  fieldBytes: number;
  /** All entries of one map or list together: the attributes, the labels, the exec arguments. */
  mapBytes: number;
  /** One whole text: the engine's raw line, full_log, a status message. */
  textBytes: number;
}

export const DEFAULT_BOUNDS: Bounds = { fieldBytes: 8_192, mapBytes: 131_072, textBytes: 262_144 };

/** What replaces the cut part of a value. */
export const truncationMarker = (cutBytes: number): string => `…[truncated ${cutBytes} bytes]`;

/** The smallest useful budget of one value: room for the marker and a few bytes of the value. */
const MIN_VALUE_BYTES = 48;

const bytesOf = (s: string): number => Buffer.byteLength(s, "utf8");
/** A UTF-8 byte count good enough to tell that a string fits: exact only when it might not (a UTF-16 unit is at most 3 bytes). */
const sizeIfSmall = (s: string, max: number): number => (s.length * 3 <= max ? s.length * 3 : bytesOf(s));

/** Whether every string of a plain value is within fieldBytes and every string list within mapBytes (no copy: the common case). */
function fitsDeep(value: unknown, b: Bounds): boolean {
  if (typeof value === "string") return sizeIfSmall(value, b.fieldBytes) <= b.fieldBytes;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) return listFits(value as string[], b);
    return value.every((v) => fitsDeep(v, b));
  }
  if (value !== null && typeof value === "object" && !isLosslessNumber(value)) {
    for (const [k, v] of Object.entries(value)) if (sizeIfSmall(k, b.fieldBytes) > b.fieldBytes || !fitsDeep(v, b)) return false;
  }
  return true;
}

function listFits(list: readonly string[], b: Bounds): boolean {
  let total = 0;
  for (const s of list) {
    const n = sizeIfSmall(s, b.fieldBytes);
    if (n > b.fieldBytes) return false;
    total += n;
  }
  return total <= b.mapBytes || list.reduce((t, s) => t + bytesOf(s), 0) <= b.mapBytes;
}

function mapFits(map: Record<string, string>, b: Bounds): boolean {
  let total = 0;
  for (const k in map) {
    const kn = sizeIfSmall(k, b.fieldBytes);
    const vn = sizeIfSmall(map[k]!, b.fieldBytes);
    if (kn > b.fieldBytes || vn > b.fieldBytes) return false;
    total += kn + vn;
  }
  if (total <= b.mapBytes) return true;
  let exact = 0;
  for (const k in map) exact += bytesOf(k) + bytesOf(map[k]!);
  return exact <= b.mapBytes;
}

/** Records whether any bound cut something. */
class Cuts {
  any = false;
}

/**
 * `s` cut to at most `maxBytes` UTF-8 bytes, marker included (for
 * maxBytes >= the marker's length), never inside a multi-byte character.
 */
export function truncateUtf8(s: string, maxBytes: number): string {
  const total = bytesOf(s);
  if (total <= maxBytes) return s;
  const buf = Buffer.from(s, "utf8");
  // The marker's size for the largest cut it can name; the real cut is never larger.
  let keep = Math.max(0, maxBytes - bytesOf(truncationMarker(total)));
  // Back off over continuation bytes (10xxxxxx) to the start of a character.
  while (keep > 0 && (buf[keep]! & 0xc0) === 0x80) keep -= 1;
  return buf.subarray(0, keep).toString("utf8") + truncationMarker(total - keep);
}

const cut = (s: string, maxBytes: number, cuts: Cuts): string => {
  const out = truncateUtf8(s, maxBytes);
  if (out !== s) cuts.any = true;
  return out;
};
const cutOrNull = (s: string | null, maxBytes: number, cuts: Cuts): string | null => (s === null ? null : cut(s, maxBytes, cuts));

/**
 * The largest per-value allowance `a` such that sum(min(size, a)) <= budget
 * (water-filling: small values stay whole, the large ones share the rest).
 */
export function waterLevel(sizes: readonly number[], budget: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let rest = budget;
  for (let i = 0; i < sorted.length; i++) {
    const level = Math.floor(rest / (sorted.length - i));
    if (sorted[i]! > level) return level;
    rest -= sorted[i]!;
  }
  return Number.POSITIVE_INFINITY;
}

/** The key of the entry that says how many entries of a map did not fit. */
export const MORE_ENTRIES_KEY = "…truncated";

/**
 * A string map within `b`: every key and value to fieldBytes, then all of
 * them to mapBytes by sharing the room among the largest values. When even
 * the keys do not fit, the first entries that do are kept and one more entry
 * (MORE_ENTRIES_KEY) says how many entries and bytes were left out.
 */
function boundMap(map: Record<string, string>, b: Bounds, cuts: Cuts): Record<string, string> {
  if (mapFits(map, b)) return map;
  const entries = Object.entries(map).map(([k, v]) => [cut(k, b.fieldBytes, cuts), cut(v, b.fieldBytes, cuts)] as [string, string]);
  const keyBytes = entries.reduce((n, [k]) => n + bytesOf(k), 0);
  const valueSizes = entries.map(([, v]) => bytesOf(v));
  const total = keyBytes + valueSizes.reduce((n, s) => n + s, 0);
  if (total <= b.mapBytes) return Object.fromEntries(entries);
  cuts.any = true;
  if (keyBytes + entries.length * MIN_VALUE_BYTES <= b.mapBytes) {
    const level = Math.max(MIN_VALUE_BYTES, waterLevel(valueSizes, b.mapBytes - keyBytes));
    return Object.fromEntries(entries.map(([k, v]) => [k, truncateUtf8(v, level)]));
  }
  const out: Record<string, string> = {};
  const room = b.mapBytes - 2 * MIN_VALUE_BYTES; // the summary entry's share
  let used = 0;
  let kept = 0;
  for (const [k, v] of entries) {
    const value = truncateUtf8(v, MIN_VALUE_BYTES);
    const size = bytesOf(k) + bytesOf(value);
    if (used + size > room || k === MORE_ENTRIES_KEY) break;
    out[k] = value;
    used += size;
    kept += 1;
  }
  out[MORE_ENTRIES_KEY] = `${entries.length - kept} more entries (${total - used} bytes)`;
  return out;
}

/** A string list within `b`, the same way as a map's values; a list too long to fit keeps its head and says how many items were cut. */
function boundList(list: readonly string[], b: Bounds, cuts: Cuts): string[] {
  if (listFits(list, b)) return list as string[];
  const items = list.map((s) => cut(s, b.fieldBytes, cuts));
  const sizes = items.map(bytesOf);
  const total = sizes.reduce((n, s) => n + s, 0);
  if (total <= b.mapBytes) return items;
  cuts.any = true;
  if (items.length * MIN_VALUE_BYTES <= b.mapBytes) {
    const level = Math.max(MIN_VALUE_BYTES, waterLevel(sizes, b.mapBytes));
    return items.map((s) => truncateUtf8(s, level));
  }
  const keep = Math.max(0, Math.floor(b.mapBytes / MIN_VALUE_BYTES) - 1);
  const head = items.slice(0, keep).map((s) => truncateUtf8(s, MIN_VALUE_BYTES));
  return [...head, `…[truncated ${items.length - keep} more items]`];
}

/** Every string in a plain value (inspect facts) to fieldBytes, and every list of strings in it as a list. */
function boundDeep<T>(value: T, b: Bounds, cuts: Cuts): T {
  if (fitsDeep(value, b)) return value;
  return copyBounded(value, b, cuts);
}

function copyBounded<T>(value: T, b: Bounds, cuts: Cuts): T {
  if (typeof value === "string") return cut(value, b.fieldBytes, cuts) as T;
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === "string")) return boundList(value as string[], b, cuts) as T;
    return value.map((v: unknown) => boundDeep(v, b, cuts)) as T;
  }
  if (value !== null && typeof value === "object" && !isLosslessNumber(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cut(k, b.fieldBytes, cuts), boundDeep(v, b, cuts)])) as T;
  }
  return value;
}

/**
 * The engine's raw line to match its bounded event: the same JSON with every
 * string to fieldBytes, the attributes and action replaced by the bounded
 * ones, numbers with their original digits. Null when even that is over
 * textBytes (full_log is then written from the event).
 */
function boundRawLine(line: string, event: NonNullable<DockerEvent["event"]>, eventCut: boolean, b: Bounds, cuts: Cuts): string | null {
  if (!eventCut && bytesOf(line) <= b.textBytes) return line;
  cuts.any = true;
  let tree: unknown;
  try {
    tree = parse(line);
  } catch {
    return cut(line, b.textBytes, cuts);
  }
  if (tree === null || typeof tree !== "object" || Array.isArray(tree)) return cut(line, b.textBytes, cuts);
  const o = boundDeep(tree as Record<string, unknown>, b, cuts);
  o.Action = event.Action;
  if (o.Actor && typeof o.Actor === "object") (o.Actor as Record<string, unknown>).Attributes = event.Actor.Attributes;
  const out = stringify(o) ?? "";
  return bytesOf(out) <= b.textBytes ? out : null;
}

/** A collector record within `b`; `truncated` says whether anything was cut. */
export function boundDockerEvent(raw: DockerEvent, b: Bounds = DEFAULT_BOUNDS): DockerEvent {
  const cuts = new Cuts();
  let event = raw.event;
  if (event) {
    const eventCuts = new Cuts();
    event = {
      ...event,
      Action: cut(event.Action, b.fieldBytes, eventCuts),
      Actor: { ID: cut(event.Actor.ID, b.fieldBytes, eventCuts), Attributes: boundMap(event.Actor.Attributes, b, eventCuts) },
      status: cutOrNull(event.status, b.fieldBytes, eventCuts),
      id: cutOrNull(event.id, b.fieldBytes, eventCuts),
      from: cutOrNull(event.from, b.fieldBytes, eventCuts),
    };
    cuts.any ||= eventCuts.any;
    if (!eventCuts.any) event = raw.event;
  }
  const rawLine = raw.raw === null ? null : event ? boundRawLine(raw.raw, event, cuts.any, b, cuts) : cut(raw.raw, b.textBytes, cuts);
  const out: DockerEvent = {
    ...raw,
    event,
    raw: rawLine,
    status: raw.status && { ...raw.status, message: cut(raw.status.message, b.textBytes, cuts) },
    inspect: raw.inspect && boundDeep(raw.inspect, b, cuts),
    execInspect: raw.execInspect && boundDeep(raw.execInspect, b, cuts),
    container: raw.container && boundDeep(raw.container, b, cuts),
  };
  if (!cuts.any) return raw;
  return { ...out, truncated: true };
}

/** A decoded event within `b` (the decoder's own bound, after redaction); `truncated` says whether anything was cut. */
export function boundDecodedEvent(ev: DecodedEvent, b: Bounds = DEFAULT_BOUNDS): DecodedEvent {
  // Every field is cut first and the record rebuilt only when one was: the
  // spreads cost more than the cuts, and almost no record needs any.
  const cuts = new Cuts();
  const d = ev.docker;
  const status = cutOrNull(d.status, b.fieldBytes, cuts);
  const id = cutOrNull(d.id, b.fieldBytes, cuts);
  const from = cutOrNull(d.from, b.fieldBytes, cuts);
  const dockerAction = cut(d.Action, b.fieldBytes, cuts);
  const actorId = cut(d.Actor.ID, b.fieldBytes, cuts);
  const attributes = boundMap(d.Actor.Attributes, b, cuts);
  const fullLog = cut(ev.fullLog, b.textBytes, cuts);
  const action = cut(ev.event.action, b.fieldBytes, cuts);
  const c = ev.container;
  const container = c && {
    id: cut(c.id, b.fieldBytes, cuts),
    name: cutOrNull(c.name, b.fieldBytes, cuts),
    imageName: cutOrNull(c.imageName, b.fieldBytes, cuts),
    labels: boundMap(c.labels, b, cuts),
  };
  const x = ev.exec;
  const exec = x && {
    action: cut(x.action, b.fieldBytes, cuts),
    command: cut(x.command, b.fieldBytes, cuts),
    args: boundList(x.args, b, cuts),
    user: cutOrNull(x.user, b.fieldBytes, cuts),
    effectiveUser: cutOrNull(x.effectiveUser, b.fieldBytes, cuts),
  };
  const inspect = ev.inspect && boundDeep(ev.inspect, b, cuts);
  const message = cutOrNull(ev.message, b.textBytes, cuts);
  if (!cuts.any) return ev;
  return {
    ...ev,
    docker: { ...d, status, id, from, Action: dockerAction, Actor: { ID: actorId, Attributes: attributes } },
    fullLog,
    event: { ...ev.event, action },
    container: c && container && { ...c, ...container },
    exec: x && exec && { ...x, ...exec },
    inspect,
    message,
    truncated: true,
  };
}

const halved = (b: Bounds): Bounds => ({
  fieldBytes: Math.max(MIN_VALUE_BYTES, Math.floor(b.fieldBytes / 2)),
  mapBytes: Math.max(4 * MIN_VALUE_BYTES, Math.floor(b.mapBytes / 2)),
  textBytes: Math.max(MIN_VALUE_BYTES, Math.floor(b.textBytes / 2)),
});

/**
 * `value` bounded by `b` and encoded within `maxBytes`: when the bounded
 * record is still too large (many fields near their bound), the bounds are
 * halved until it fits. A record that cannot be made to fit is a RecordError
 * ("too-large"): its stage dead-letters it instead of failing on every retry.
 */
export function encodeBounded<T>(value: T, bound: (v: T, b: Bounds) => T, encode: (v: T) => Buffer, maxBytes: number, b: Bounds = DEFAULT_BOUNDS): { value: T; bytes: Buffer } {
  let bounds = b;
  let size = 0;
  for (let attempt = 0; attempt < 12; attempt++) {
    const v = bound(value, bounds);
    const bytes = encode(v);
    if (bytes.length <= maxBytes) return { value: v, bytes };
    size = bytes.length;
    bounds = halved(bounds);
  }
  throw new RecordError("too-large", `record of ${size} bytes still exceeds ${maxBytes} bytes with every field at its smallest bound`);
}

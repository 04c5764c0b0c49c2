import { createHash } from "node:crypto";
import type { DecodedEvent } from "@dockwatch/contracts";

// Pure parts of frequency correlation: group keys, window math, ids and Redis
// key names. No I/O, so unit tests pin every rule of the window definition.
//
// THE WINDOW: tumbling windows of `timeframeMs`, aligned to the Unix epoch and
// placed by EVENT time (the engine's timeNano), not by processing time:
//   windowStart(t) = t - (t mod timeframeMs), window = [windowStart, windowStart + timeframeMs).
// A rule fires once per (rule, group key, window) when `frequency` distinct
// events of that group fall into the same window. Because the window depends
// only on the events themselves, a replay of the same events (a consumer
// restart, a reprocessing after a ruleset change, another rules instance)
// puts them into the same windows and yields the same correlation alert id,
// in any arrival order. The price of determinism: a burst that straddles a
// window boundary (3 events at the end of one window, 2 at the start of the
// next) does not fire, where Wazuh's sliding window would; a burst of
// `frequency` events within `timeframeMs / 2` fires only if it sits in one
// window. Detection with a shorter timeframe trades this off.

/** Start of the epoch-aligned window of `timeframeMs` that contains `eventTimeMs`. */
export function windowStart(eventTimeMs: number, timeframeMs: number): number {
  if (!Number.isInteger(timeframeMs) || timeframeMs <= 0) throw new RangeError(`timeframe must be a positive integer of ms, got ${timeframeMs}`);
  // ((t % f) + f) % f keeps times before 1970 in the window below them.
  return eventTimeMs - (((eventTimeMs % timeframeMs) + timeframeMs) % timeframeMs);
}

/**
 * The group of an event for `same_field` grouping: the values of the fields,
 * in the rule's order, as a JSON array (readable in logs, unambiguous even
 * when a value contains separators). Undefined when one of the fields is
 * missing: as in Wazuh, an event without the field does not take part.
 * No fields = one group for the whole rule.
 */
export function groupKey(sameFields: readonly string[], valueOf: (path: string) => string | undefined): string | undefined {
  const values: string[] = [];
  for (const field of sameFields) {
    const value = valueOf(field);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return JSON.stringify(values);
}

const digest = (...parts: (string | number)[]) => createHash("sha256").update(parts.join("\u0000")).digest();

/**
 * The correlation alert's id, in the same `<epoch seconds>.<number>` shape as
 * other alert ids (libs/rule-engine/src/alert.ts): seconds of the window start, and 40 bits of a
 * hash of (rule, group key, window start). The same window always has the same
 * id, so a re-emitted hit overwrites itself in Elasticsearch.
 */
export function correlationId(ruleId: string, group: string, windowStartMs: number): string {
  const number = digest("correlation", ruleId, group, windowStartMs).readUIntBE(0, 5);
  return `${Math.floor(windowStartMs / 1000)}.${number}`;
}

/** Redis keys of one (rule, group, window): a set of event ids and the "fired" marker. */
export interface WindowKeys {
  events: string;
  fired: string;
}

/**
 * Key names share a `{…}` hash tag so a Redis Cluster puts both in one slot
 * (a Lua script may only touch keys of one slot). The group key is hashed: its
 * values are user data of any length and may contain braces.
 */
export function windowKeys(keyPrefix: string, ruleId: string, group: string, windowStartMs: number): WindowKeys {
  const tag = `{${ruleId}:${digest(group).toString("hex").slice(0, 24)}:${windowStartMs}}`;
  return { events: `${keyPrefix}corr:${tag}:events`, fired: `${keyPrefix}corr:${tag}:fired` };
}

/** Event time in ms from the engine's exact timeNano (a decimal string). */
export function eventTimeMs(event: Pick<DecodedEvent, "docker">): number {
  return Number(BigInt(event.docker.timeNano) / 1_000_000n);
}

/**
 * An id of the source event for deduplication: the same fields the alert id
 * hashes (engine, agent, timeNano, actor, type, action), but the whole digest,
 * since a collision here would silently drop a count.
 */
export function sourceEventId(event: Pick<DecodedEvent, "engine" | "agent" | "docker">): string {
  const d = event.docker;
  return digest(event.engine.id, event.agent.id, d.timeNano, d.Actor.ID, d.Type, d.Action).toString("hex").slice(0, 32);
}

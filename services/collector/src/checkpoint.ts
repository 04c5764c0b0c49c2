import { createHash } from "node:crypto";
import type { EngineEvent } from "@dockwatch/contracts";

/** The engine keeps this many events for `since` (measured on 20.10). */
export const ENGINE_HISTORY = 256;

/** Out-of-order tolerance of `since`: the engine stamps an event before it takes its publish lock. */
export const SINCE_SLACK_NANOS = 1_000_000_000n;

/** An event's identity: its time and a short hash of type/action/actor. */
export function eventKey(e: EngineEvent): string {
  const h = createHash("sha1").update(`${e.Type}/${e.Action}/${e.Actor.ID}`).digest("base64url").slice(0, 12);
  return `${e.timeNano}:${h}`;
}

const keyTime = (key: string): bigint => BigInt(key.slice(0, key.indexOf(":")));

/**
 * The read checkpoint: keys of the last ENGINE_HISTORY engine events spooled,
 * in arrival order. The engine's timestamps are not strictly monotonic (it
 * stamps an event before taking its publish lock), so "everything at or
 * before a time" is not a sound dedupe rule; membership is. Any event the
 * engine can still replay that we spooled is among our last ENGINE_HISTORY.
 */
export class Checkpoint {
  private readonly keys: string[];
  private readonly set: Set<string>;

  constructor(keys: string[] = []) {
    this.keys = keys.slice(-ENGINE_HISTORY);
    this.set = new Set(this.keys);
  }

  get empty(): boolean {
    return this.keys.length === 0;
  }

  /** The last spooled event's time. */
  get lastNano(): bigint | undefined {
    const last = this.keys.at(-1);
    return last === undefined ? undefined : keyTime(last);
  }

  /** What to ask the engine for on reconnect (its `since` is inclusive: TimeNano >= since). */
  get sinceNano(): bigint | undefined {
    const last = this.lastNano;
    return last === undefined ? undefined : last > SINCE_SLACK_NANOS ? last - SINCE_SLACK_NANOS : 0n;
  }

  has(e: EngineEvent): boolean {
    return this.set.has(eventKey(e));
  }

  add(e: EngineEvent): void {
    const k = eventKey(e);
    if (this.set.has(k)) return;
    this.keys.push(k);
    this.set.add(k);
    if (this.keys.length > ENGINE_HISTORY) this.set.delete(this.keys.shift()!);
  }

  /**
   * Did the engine lose history since our last spooled event L?
   *
   * The engine's buffer evicts in arrival order and `since` replays, from
   * the newest backwards, events until the first one older than `since`. So
   * when L comes back in the replay, every event that arrived after L comes
   * back too; when L does not (evicted, the engine restarted and lost its
   * buffer, or an event stamped long before it stopped the scan), events
   * after L may be missing. Never misses a loss; over-reporting one costs a
   * gap record and a reconciliation, nothing else.
   */
  overrun(replay: EngineEvent[]): boolean {
    const last = this.keys.at(-1);
    return last !== undefined && !replay.some((e) => eventKey(e) === last);
  }

  toJSON(): string[] {
    return this.keys;
  }
}

/** `since`/`until` for the engine: seconds with a nanosecond fraction. */
export const engineTimeParam = (nanos: bigint): string => `${nanos / 1_000_000_000n}.${String(nanos % 1_000_000_000n).padStart(9, "0")}`;

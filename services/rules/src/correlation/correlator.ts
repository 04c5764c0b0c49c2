import type { Redis } from "ioredis";
import { correlationId, windowKeys, windowStart, type CorrelationHit, type Correlator, type FrequencySpec, type Observation } from "@dockwatch/rule-engine";
import { DependencyError } from "@dockwatch/errors";
import { redisCall } from "./redis.js";

/**
 * One atomic step of a (rule, group, window), see window.ts for the window.
 * KEYS[1] set of event ids counted in the window, KEYS[2] "fired" marker hash.
 * ARGV: eventId, frequency, ttlMs (counting), firedTtlMs. Returns {fired (0|1), count}.
 *
 * - A window that already fired counts nothing more; its set of ids is
 *   deleted when it fires (the marker says all that is left to say).
 * - SADD makes a redelivered event (same id) count once.
 * - The script runs atomically, so of two instances racing on one group key
 *   exactly one sees the count reach `frequency` with no marker yet.
 * - The marker remembers which event fired the window. When that very event
 *   is delivered again (its batch was retried because producing the alert
 *   failed, or the partition moved to another instance), the hit is returned
 *   again with the same correlation id: the alert stays at-least-once and its
 *   deterministic id makes the repeat overwrite itself downstream. Any other
 *   event of a fired window gets nothing.
 * - The set expires `ttlMs` after its last write (the window plus a grace
 *   for late and redelivered events). The marker lives `firedTtlMs` (as long
 *   as the input topic keeps records, so as long as a redelivery can come),
 *   refreshed on every touch: a window that fired but whose alert could not be
 *   produced is still re-announced when its event is redelivered after an
 *   outage of any length. It is small (two fields per fired window), and if it
 *   were lost anyway the window could only fire again under the same id.
 */
const OBSERVE_LUA = `
local firedBy = redis.call('HGET', KEYS[2], 'event')
if firedBy then
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  if firedBy == ARGV[1] then
    return {1, tonumber(redis.call('HGET', KEYS[2], 'count'))}
  end
  return {0, -1}
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local count = redis.call('SCARD', KEYS[1])
if count >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[2], 'event', ARGV[1], 'count', count)
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  redis.call('DEL', KEYS[1])
  return {1, count}
end
return {0, count}
`;

type ObserveReply = [number, number];

interface CorrelationCommands {
  dockwatchCorrelate(eventsKey: string, firedKey: string, eventId: string, frequency: number, ttlMs: number, firedTtlMs: number): Promise<ObserveReply>;
}

export interface RedisCorrelatorOptions {
  /** Prefix of every key (tests and several deployments sharing one Redis). */
  keyPrefix: string;
  /**
   * How long a window's keys outlive its last write, beyond the timeframe:
   * late events of the window and redeliveries within this time are still
   * deduplicated. Default 5 minutes (longer than a consumer-group rebalance).
   */
  graceMs?: number;
  /**
   * How long a fired window's marker lives after its last touch: at least as
   * long as the input topic's retention (a redelivery cannot come later).
   * Default 7 days (Kafka's default retention); never shorter than the window's keys.
   */
  firedTtlMs?: number;
}

/** Keys live the window plus the grace after their last write. */
export const windowTtlMs = (timeframeMs: number, graceMs: number) => timeframeMs + graceMs;

export function createRedisCorrelator(redis: Redis, opts: RedisCorrelatorOptions): Correlator {
  const graceMs = opts.graceMs ?? 5 * 60_000;
  const firedTtlMs = opts.firedTtlMs ?? 7 * 24 * 3600_000;
  // defineCommand sends EVALSHA and falls back to EVAL once after a SCRIPT FLUSH or a Redis restart.
  if (!("dockwatchCorrelate" in redis)) redis.defineCommand("dockwatchCorrelate", { numberOfKeys: 2, lua: OBSERVE_LUA });
  const commands = redis as unknown as CorrelationCommands;
  /** The script's arguments for one observation, and how its reply becomes a hit. */
  const step = ({ spec, groupKey: group, eventId, eventTimeMs }: Observation) => {
    if (!Number.isInteger(spec.frequency) || spec.frequency < 1) throw new RangeError(`rule ${spec.ruleId}: frequency must be a positive integer`);
    const start = windowStart(eventTimeMs, spec.timeframeMs);
    const keys = windowKeys(opts.keyPrefix, spec.ruleId, group, start);
    const ttlMs = windowTtlMs(spec.timeframeMs, graceMs);
    return {
      args: [keys.events, keys.fired, eventId, spec.frequency, ttlMs, Math.max(ttlMs, firedTtlMs)] as const,
      hit: ([fired, count]: ObserveReply): CorrelationHit | null =>
        fired !== 1 ? null : { ruleId: spec.ruleId, groupKey: group, windowStartMs: start, count, correlationId: correlationId(spec.ruleId, group, start) },
    };
  };
  return {
    async observe(spec: FrequencySpec, group: string, eventId: string, eventTimeMs: number): Promise<CorrelationHit | null> {
      const { args, hit } = step({ spec, groupKey: group, eventId, eventTimeMs });
      return hit(await redisCall(`correlate rule ${spec.ruleId}`, () => commands.dockwatchCorrelate(...args)));
    },
    // One pipeline: Redis runs the scripts one after another in this order,
    // exactly as the same observe() calls awaited in turn, in one round trip.
    // A failed exec (connection lost, timeout) rejects every observation; a
    // script that failed alone rejects its own (both retryable, as observe's).
    async observeMany(observations) {
      if (observations.length === 0) return [];
      const steps = observations.map(step);
      // A pipeline's command methods queue (and return the pipeline); exec() sends them all and settles each.
      const pipeline = redis.pipeline() as unknown as {
        dockwatchCorrelate(...args: Parameters<CorrelationCommands["dockwatchCorrelate"]>): unknown;
        exec(): Promise<Array<[Error | null, unknown]> | null>;
      };
      for (const { args } of steps) pipeline.dockwatchCorrelate(...args);
      const replies = await redisCall(`correlate ${observations.length} observation(s)`, async () => {
        const r = await pipeline.exec();
        if (r === null || r.length !== steps.length) throw new Error(`pipeline answered ${r?.length ?? "nothing"} for ${steps.length} commands`);
        return r;
      });
      return replies.map(([err, reply], i): PromiseSettledResult<CorrelationHit | null> =>
        err
          ? { status: "rejected", reason: new DependencyError("redis-unavailable", `redis unavailable (correlate rule ${observations[i]!.spec.ruleId}): ${err.message}`, { cause: err }) }
          : { status: "fulfilled", value: steps[i]!.hit(reply as ObserveReply) },
      );
    },
  };
}

import type { Heartbeat, HostSnapshot, HostTransition } from "@dockwatch/rule-engine";
import type { Redis } from "ioredis";
import { redisCall } from "./redis.js";

// Silent hosts: every status event of a collector (heartbeat, connected, lost:
// the collector is alive even when its engine is not) marks its agent as seen.
// A periodic sweep declares an agent silent once nothing arrived from it for
// `silentAfterMs`, and its next heartbeat declares it returned. State lives in
// Redis so every rules instance shares it; each transition is one Lua script,
// so of several instances exactly one wins it.
//
// Time is event time: last seen = the collector's own timestamp of the
// agent's newest status event, and the sweep judges it against the pipeline's
// watermark, not against the wall clock. The watermark is how far the rules
// service has processed its input, in event time (progress.ts): the newest
// event time it processed, capped at now, or for a partition it is behind on
// (a backlog, a batch held by an outage) the newest event time processed
// there. An instance that is behind reports its watermark in every sweep; a
// sweep uses the lowest of its own and the live reports of instances behind
// (an instance that is caught up holds nobody back: its partitions may just be
// idle). So
// when the pipeline lags, the watermark lags with it and no host is called
// silent for heartbeats that are merely still in Kafka; a host is silent only
// when its own events stopped while the pipeline kept up. (Collector clocks
// need NTP, as any server does, with a skew well under SILENT_HOST_AFTER.)
// An older or redelivered heartbeat (event time not newer than the newest) is
// no evidence that the agent is alive now: it neither refreshes last seen nor
// ends a silence.
//
// Per agent, state: none (alive) -> "pending:<lease until>" (claimed by one
// sweep, alert not yet confirmed produced) -> "silent" (confirmed). A pending
// claim whose lease ran out is claimed again by the next sweep (the alert is
// re-emitted with the same deterministic time, hence the same alert id), so a
// sweeper that crashed between the claim and the produce loses nothing.

export interface HostWatch {
  /** Records a status event; a transition when it ends a silence (once across instances, again only for a redelivery of that same event). */
  seen(heartbeat: Heartbeat): Promise<HostTransition | null>;
  /**
   * Claims the agents silent by the pipeline's watermark (each once across
   * instances, until its lease runs out unconfirmed). `progress` is this
   * instance's watermark (default: caught up, `nowMs`), reported for the
   * other instances' sweeps too.
   */
  sweep(nowMs: number, progress?: SweepProgress): Promise<HostTransition[]>;
  /** After their alerts are produced: the silences are announced, no sweep claims them again. */
  confirm(agentIds: string[]): Promise<void>;
}

export interface SweepProgress {
  /** Which rules instance reports. */
  instanceId: string;
  /** Event time up to which this instance has processed its input (PipelineProgress.watermarkMs). */
  watermarkMs: number;
  /** This instance is behind on a partition (PipelineProgress.behind): its watermark holds every instance's sweep back. */
  behind?: boolean;
}

export interface HostWatchOptions {
  keyPrefix: string;
  silentAfterMs: number;
  /** How long a sweep's claim waits for confirm() before another sweep re-emits it. */
  leaseMs: number;
  /** Agents unheard of for this long are dropped from the state (decommissioned hosts); default 7 days. */
  forgetAfterMs?: number;
  /** How long a report of an instance behind counts without a newer one (longer than a rebalance: it may have died); default 2 minutes. */
  watermarkTtlMs?: number;
}

// KEYS: 1 last seen (zset, event time), 2 newest event time (hash),
// 3 state (hash), 4 snapshot (hash), 5 last return (hash), 6 watermarks (hash, sweep only).
const SEEN_LUA = `
local agent, eventId = ARGV[1], ARGV[4]
local newest = redis.call('HGET', KEYS[2], agent)
if newest and tonumber(ARGV[3]) <= tonumber(newest) then
  local marker = redis.call('HGET', KEYS[5], agent)
  if marker and cjson.decode(marker).eventId == eventId then return marker end
  return false
end
redis.call('HSET', KEYS[2], agent, ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[3], agent)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], agent, ARGV[5]) end
if redis.call('HDEL', KEYS[3], agent) == 0 then return false end
local marker = cjson.encode({eventId = eventId, atMs = ARGV[3], lastSeenMs = newest or ARGV[3]})
redis.call('HSET', KEYS[5], agent, marker)
return marker
`;

// ARGV: silent after ms, now, lease ms, forget cutoff, instance id, its watermark, watermark ttl ms, behind (1|0).
// The cutoff (last seen before it = silent) is the lowest of its own and the live reports, minus silent after.
// Returns a flat list: agent, last seen, snapshot JSON ('' if none), ...
const SWEEP_LUA = `
local now = tonumber(ARGV[2])
if ARGV[8] == '1' then
  redis.call('HSET', KEYS[6], ARGV[5], ARGV[6] .. ':' .. string.format('%d', now + tonumber(ARGV[7])))
else
  redis.call('HDEL', KEYS[6], ARGV[5])
end
local watermark = tonumber(ARGV[6])
local reports = redis.call('HGETALL', KEYS[6])
for i = 1, #reports, 2 do
  local wm, expires = string.match(reports[i + 1], '^(%d+):(%d+)$')
  if not wm or tonumber(expires) <= now then
    redis.call('HDEL', KEYS[6], reports[i])
  elseif tonumber(wm) < watermark then
    watermark = tonumber(wm)
  end
end
local cutoff = string.format('%d', watermark - tonumber(ARGV[1]))
for _, agent in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])) do
  redis.call('ZREM', KEYS[1], agent)
  for k = 2, 5 do redis.call('HDEL', KEYS[k], agent) end
end
local out = {}
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. cutoff, 'WITHSCORES')
for i = 1, #stale, 2 do
  local agent = stale[i]
  local state = redis.call('HGET', KEYS[3], agent)
  local claim = not state
  if state then
    local leaseUntil = string.match(state, '^pending:(%d+)$')
    claim = leaseUntil ~= nil and tonumber(leaseUntil) <= now
  end
  if claim then
    redis.call('HSET', KEYS[3], agent, 'pending:' .. string.format('%d', now + tonumber(ARGV[3])))
    table.insert(out, agent)
    table.insert(out, stale[i + 1])
    table.insert(out, redis.call('HGET', KEYS[4], agent) or '')
  end
end
return out
`;

// KEYS: 1 state. ARGV: agents. Only a pending claim becomes "silent": an agent
// that returned meanwhile (state deleted) stays alive.
const CONFIRM_LUA = `
for _, agent in ipairs(ARGV) do
  local state = redis.call('HGET', KEYS[1], agent)
  if state and string.sub(state, 1, 8) == 'pending:' then redis.call('HSET', KEYS[1], agent, 'silent') end
end
return 0
`;

interface HostCommands {
  dockwatchHostSeen(...args: string[]): Promise<string | null>;
  dockwatchHostSweep(...args: string[]): Promise<string[]>;
  dockwatchHostConfirm(...args: string[]): Promise<number>;
}

/** Redis key names; one `{…}` hash tag so a Redis Cluster keeps them in one slot. */
export function hostKeys(keyPrefix: string) {
  const base = `${keyPrefix}{hosts}`;
  return {
    lastSeen: `${base}:lastseen`,
    newest: `${base}:newest`,
    state: `${base}:state`,
    snapshot: `${base}:snapshot`,
    returned: `${base}:returned`,
    watermarks: `${base}:watermarks`,
  };
}

const parseSnapshot = (json: string | undefined): HostSnapshot | null => (json ? (JSON.parse(json) as HostSnapshot) : null);

export function createHostWatch(redis: Redis, opts: HostWatchOptions): HostWatch {
  if (!("dockwatchHostSeen" in redis)) {
    redis.defineCommand("dockwatchHostSeen", { numberOfKeys: 5, lua: SEEN_LUA });
    redis.defineCommand("dockwatchHostSweep", { numberOfKeys: 6, lua: SWEEP_LUA });
    redis.defineCommand("dockwatchHostConfirm", { numberOfKeys: 1, lua: CONFIRM_LUA });
  }
  const commands = redis as unknown as HostCommands;
  const k = hostKeys(opts.keyPrefix);
  const allKeys = [k.lastSeen, k.newest, k.state, k.snapshot, k.returned];
  const forgetAfterMs = opts.forgetAfterMs ?? 7 * 24 * 3600_000;
  const watermarkTtlMs = opts.watermarkTtlMs ?? 120_000;

  return {
    async seen(hb) {
      const snapshot = hb.snapshot ? JSON.stringify(hb.snapshot) : "";
      const reply = await redisCall("host seen", () =>
        commands.dockwatchHostSeen(...allKeys, hb.agentId, String(hb.nowMs), String(hb.eventTimeMs), hb.eventId, snapshot),
      );
      if (reply === null) return null;
      const marker = JSON.parse(reply) as { atMs: string; lastSeenMs: string };
      return {
        agentId: hb.agentId,
        state: "returned",
        atMs: Number(marker.atMs),
        lastSeenMs: Number(marker.lastSeenMs),
        snapshot: hb.snapshot ?? null,
      };
    },

    async sweep(nowMs, progress = { instanceId: "default", watermarkMs: nowMs }) {
      const flat = await redisCall("host sweep", () =>
        commands.dockwatchHostSweep(
          ...allKeys,
          k.watermarks,
          String(opts.silentAfterMs),
          String(nowMs),
          String(opts.leaseMs),
          String(nowMs - forgetAfterMs),
          progress.instanceId,
          String(Math.floor(progress.watermarkMs)),
          String(watermarkTtlMs),
          progress.behind ? "1" : "0",
        ),
      );
      const out: HostTransition[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const lastSeenMs = Number(flat[i + 1]);
        out.push({ agentId: flat[i]!, state: "silent", atMs: lastSeenMs + opts.silentAfterMs, lastSeenMs, snapshot: parseSnapshot(flat[i + 2]) });
      }
      return out;
    },

    async confirm(agentIds) {
      if (agentIds.length === 0) return;
      await redisCall("host confirm", () => commands.dockwatchHostConfirm(k.state, ...agentIds));
    },
  };
}

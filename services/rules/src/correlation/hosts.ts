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
// Two clocks, each used only against itself:
// - last seen = the rules instance's clock when the heartbeat was processed;
//   the sweep compares it with its own clock, so a collector whose clock is
//   off is never declared silent for that (rules instances need NTP, as any
//   server does, with a skew well under SILENT_HOST_AFTER).
// - newest event time = the collector's own timestamp of its newest status
//   event; an older or redelivered heartbeat (event time not newer) is no
//   evidence that the agent is alive now, so it neither refreshes last seen
//   nor ends a silence.
//
// Per agent, state: none (alive) -> "pending:<lease until>" (claimed by one
// sweep, alert not yet confirmed produced) -> "silent" (confirmed). A pending
// claim whose lease ran out is claimed again by the next sweep (the alert is
// re-emitted with the same deterministic time, hence the same alert id), so a
// sweeper that crashed between the claim and the produce loses nothing.

export interface HostWatch {
  /** Records a status event; a transition when it ends a silence (once across instances, again only for a redelivery of that same event). */
  seen(heartbeat: Heartbeat): Promise<HostTransition | null>;
  /** Claims the agents that went silent by `nowMs` (each once across instances, until its lease runs out unconfirmed). */
  sweep(nowMs: number): Promise<HostTransition[]>;
  /** After their alerts are produced: the silences are announced, no sweep claims them again. */
  confirm(agentIds: string[]): Promise<void>;
}

export interface HostWatchOptions {
  keyPrefix: string;
  silentAfterMs: number;
  /** How long a sweep's claim waits for confirm() before another sweep re-emits it. */
  leaseMs: number;
  /** Agents unheard of for this long are dropped from the state (decommissioned hosts); default 7 days. */
  forgetAfterMs?: number;
}

// KEYS: 1 last seen (zset, rules clock), 2 newest event time (hash),
// 3 state (hash), 4 snapshot (hash), 5 last return (hash).
const SEEN_LUA = `
local agent, eventId = ARGV[1], ARGV[4]
local newest = redis.call('HGET', KEYS[2], agent)
if newest and tonumber(ARGV[3]) <= tonumber(newest) then
  local marker = redis.call('HGET', KEYS[5], agent)
  if marker and cjson.decode(marker).eventId == eventId then return marker end
  return false
end
redis.call('HSET', KEYS[2], agent, ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], agent)
if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], agent, ARGV[5]) end
if redis.call('HDEL', KEYS[3], agent) == 0 then return false end
local marker = cjson.encode({eventId = eventId, atMs = ARGV[3], lastSeenMs = newest or ARGV[3]})
redis.call('HSET', KEYS[5], agent, marker)
return marker
`;

// ARGV: silent cutoff (last seen before it = silent), now, lease ms, forget cutoff.
// Returns a flat list: agent, last seen, snapshot JSON ('' if none), ...
const SWEEP_LUA = `
local now = tonumber(ARGV[2])
for _, agent in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])) do
  redis.call('ZREM', KEYS[1], agent)
  for k = 2, 5 do redis.call('HDEL', KEYS[k], agent) end
end
local out = {}
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'WITHSCORES')
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
  };
}

const parseSnapshot = (json: string | undefined): HostSnapshot | null => (json ? (JSON.parse(json) as HostSnapshot) : null);

export function createHostWatch(redis: Redis, opts: HostWatchOptions): HostWatch {
  if (!("dockwatchHostSeen" in redis)) {
    redis.defineCommand("dockwatchHostSeen", { numberOfKeys: 5, lua: SEEN_LUA });
    redis.defineCommand("dockwatchHostSweep", { numberOfKeys: 5, lua: SWEEP_LUA });
    redis.defineCommand("dockwatchHostConfirm", { numberOfKeys: 1, lua: CONFIRM_LUA });
  }
  const commands = redis as unknown as HostCommands;
  const k = hostKeys(opts.keyPrefix);
  const allKeys = [k.lastSeen, k.newest, k.state, k.snapshot, k.returned];
  const forgetAfterMs = opts.forgetAfterMs ?? 7 * 24 * 3600_000;

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

    async sweep(nowMs) {
      const flat = await redisCall("host sweep", () =>
        commands.dockwatchHostSweep(...allKeys, String(nowMs - opts.silentAfterMs), String(nowMs), String(opts.leaseMs), String(nowMs - forgetAfterMs)),
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

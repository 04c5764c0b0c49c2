import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRetryable } from "@dockwatch/errors";
import { correlationId, windowKeys, windowStart, type Correlator, type FrequencySpec } from "@dockwatch/rule-engine";
import { createRedis, createRedisCorrelator } from "../../src/correlation/index.js";
import { twoRedisInstances } from "./redis-instances.js";

// Against the real local Redis (REDIS_URL, default redis://localhost:6379);
// every test uses its own key prefix.

const crashLoop: FrequencySpec = { ruleId: "87930", frequency: 5, timeframeMs: 60_000, sameFields: ["docker.Actor.Attributes.name"] };
const minute = (iso: string) => Date.parse(iso);

describe("Redis correlator (two rules instances, real Redis)", () => {
  const redis = twoRedisInstances();
  const pair = (graceMs?: number): [Correlator, Correlator, string] => {
    const keyPrefix = redis.prefix("test-corr");
    const opts = { keyPrefix, ...(graceMs !== undefined ? { graceMs } : {}) };
    return [createRedisCorrelator(redis.a, opts), createRedisCorrelator(redis.b, opts), keyPrefix];
  };

  it("5 die events of one container within a minute -> one crash-loop hit; the 6th in that window -> none", async () => {
    const [c] = pair();
    const t0 = minute("2024-03-01T10:05:00.000Z");
    const group = '["apache"]';
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await c.observe(crashLoop, group, `die-${i}`, t0 + 1_000 + i * 9_000));
    assert.deepEqual(results.slice(0, 4), [null, null, null, null]);
    assert.deepEqual(results[4], { ruleId: "87930", groupKey: group, windowStartMs: t0, count: 5, correlationId: correlationId("87930", group, t0) });
    assert.equal(results[5], null);
    // Another container counts on its own.
    assert.equal(await c.observe(crashLoop, '["nginx"]', "nginx-die-0", t0 + 2_000), null);
  });

  it("two instances racing on one group key: exactly one hit per window", async () => {
    const [ca, cb] = pair();
    const group = '["racer"]';
    const base = minute("2024-03-01T11:00:00.000Z");
    const windows = 8;
    const perWindow = 40;
    // 40 distinct events in each of 8 windows, interleaved, half through each instance, all at once.
    const calls: Promise<Awaited<ReturnType<Correlator["observe"]>>>[] = [];
    for (let i = 0; i < perWindow; i++) {
      for (let w = 0; w < windows; w++) {
        const instance = (i + w) % 2 === 0 ? ca : cb;
        calls.push(instance.observe(crashLoop, group, `w${w}-e${i}`, base + w * 60_000 + ((i * 1_493) % 60_000)));
      }
    }
    const hits = (await Promise.all(calls)).filter((h) => h !== null);
    assert.equal(hits.length, windows, `one hit per window, got ${hits.length}`);
    assert.deepEqual(
      hits.map((h) => h.windowStartMs).sort((x, y) => x - y),
      Array.from({ length: windows }, (_, w) => base + w * 60_000),
    );
    for (const h of hits) {
      assert.equal(h.count, 5);
      assert.equal(h.correlationId, correlationId("87930", group, h.windowStartMs));
    }
  });

  it("the same event delivered again (to either instance) never counts twice", async () => {
    const [ca, cb] = pair();
    const group = '["redelivered"]';
    const t0 = minute("2024-03-01T12:00:00.000Z");
    for (let i = 0; i < 4; i++) assert.equal(await ca.observe(crashLoop, group, `e${i}`, t0 + i), null);
    // e3 again, several times, concurrently through both instances: still 4 distinct events.
    const again = await Promise.all([ca, cb, ca, cb].map((c) => c.observe(crashLoop, group, "e3", t0 + 3)));
    assert.deepEqual(again, [null, null, null, null]);
    const hit = await cb.observe(crashLoop, group, "e4", t0 + 4);
    assert.equal(hit?.count, 5);
  });

  it("a redelivery of the event that fired re-announces the same hit (same id); any other event of the window gets none", async () => {
    const [ca, cb] = pair();
    const group = '["retry"]';
    const t0 = minute("2024-03-01T12:10:00.000Z");
    let first = null;
    for (let i = 0; i < 5; i++) first = await ca.observe(crashLoop, group, `e${i}`, t0 + i);
    assert.ok(first);
    assert.deepEqual(await cb.observe(crashLoop, group, "e4", t0 + 4), first);
    assert.equal(await cb.observe(crashLoop, group, "e5", t0 + 5), null);
    assert.equal(await cb.observe(crashLoop, group, "e0", t0), null);
  });

  it("a window's set of ids expires after the timeframe plus the grace; once fired, only its marker is left, kept for the fired TTL", async () => {
    const [c, , prefix] = pair(1_000);
    const group = '["ttl"]';
    const t0 = minute("2024-03-01T13:00:00.000Z");
    const keys = windowKeys(prefix, crashLoop.ruleId, group, windowStart(t0, crashLoop.timeframeMs));
    for (let i = 0; i < 4; i++) await c.observe(crashLoop, group, `e${i}`, t0 + i);
    const counting = await redis.a.pttl(keys.events);
    assert.ok(counting > 0 && counting <= 61_000, `${keys.events} has PTTL ${counting}`);
    await c.observe(crashLoop, group, "e4", t0 + 4);
    assert.equal(await redis.a.exists(keys.events), 0);
    const fired = await redis.a.pttl(keys.fired);
    assert.ok(fired > 61_000 && fired <= 7 * 24 * 3600_000, `${keys.fired} has PTTL ${fired}`);
  });

  it("a fired window whose alert was not produced is re-announced when its event comes again after the window's keys expired", async () => {
    // A 200 ms window with a 100 ms grace: "an outage longer than the TTL" without a long wait.
    const quick = { ...crashLoop, frequency: 2, timeframeMs: 200 };
    const [c, other] = pair(100);
    const group = '["outage"]';
    const t0 = minute("2024-03-01T14:00:00.000Z");
    assert.equal(await c.observe(quick, group, "e0", t0), null);
    const hit = await c.observe(quick, group, "e1", t0 + 1);
    assert.ok(hit);
    // The producer failed and the batch was held past the window's TTL (300 ms) ...
    await new Promise((r) => setTimeout(r, 600));
    // ... then e1 comes again, to either instance: the same hit, and the window still counts nothing more.
    assert.deepEqual(await other.observe(quick, group, "e1", t0 + 1), hit);
    assert.equal(await c.observe(quick, group, "e2", t0 + 2), null);
    assert.equal(await c.observe(quick, group, "e3", t0 + 3), null);
  });

  it("Redis down -> a retryable error naming Redis, so the stage retries the batch", async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    const down = createRedis({ url: "redis://127.0.0.1:1" });
    try {
      const c = createRedisCorrelator(down, { keyPrefix: "never:" });
      await assert.rejects(c.observe(crashLoop, '["x"]', "e", 0), (err: Error) => isRetryable(err) && /^redis unavailable/.test(err.message));
    } finally {
      down.disconnect();
    }
  });
});

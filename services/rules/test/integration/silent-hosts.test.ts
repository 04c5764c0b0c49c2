import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "@dockwatch/runtime";
import { hostAlertEvent, type HostSnapshot, type HostTransition } from "@dockwatch/rule-engine";
import { createHostSweeper, createHostWatch, type HostWatch } from "../../src/correlation/index.js";
import { twoRedisInstances } from "./redis-instances.js";

// Two rules instances = two Redis connections sharing one key prefix. Time is
// passed explicitly (nowMs), so "2 minutes of silence" needs no waiting.

const SILENT_AFTER = 120_000;
const LEASE = 45_000;
const T0 = Date.parse("2024-03-01T10:00:00.000Z");

const snapshot = (id: string): HostSnapshot => ({
  agent: { id, name: `host-${id}`, ip: "10.0.0.7" },
  engine: { id: `engine-${id}`, hostname: `h-${id}`, version: "20.10.24", apiVersion: "1.41" },
  host: { name: `host-${id}`, hostname: `h-${id}`, ip: "10.0.0.7" },
});

/** A heartbeat processed at `nowMs` whose collector stamped it `eventTimeMs`. */
const hb = (agentId: string, n: number, nowMs: number, eventTimeMs = nowMs) => ({
  agentId,
  eventId: `${agentId}-hb-${n}`,
  eventTimeMs,
  nowMs,
  snapshot: snapshot(agentId),
});

describe("silent hosts (two rules instances, real Redis)", () => {
  const redis = twoRedisInstances();
  const pair = (): [HostWatch, HostWatch] => {
    const opts = { keyPrefix: redis.prefix("test-hosts"), silentAfterMs: SILENT_AFTER, leaseMs: LEASE };
    return [createHostWatch(redis.a, opts), createHostWatch(redis.b, opts)];
  };

  it("an agent silent for SILENT_HOST_AFTER is alerted once across instances sweeping concurrently", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("001", 1, T0));
    await wb.seen(hb("002", 1, T0 + 60_000)); // heard of a minute later: not silent yet
    const now = T0 + SILENT_AFTER + 1;
    const sweeps = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? wa : wb).sweep(now + i)));
    const silent = sweeps.flat();
    assert.equal(silent.length, 1, `one alert, got ${JSON.stringify(silent)}`);
    assert.deepEqual(silent[0], { agentId: "001", state: "silent", atMs: T0 + SILENT_AFTER, lastSeenMs: T0, snapshot: snapshot("001") });
    await wa.confirm(["001"]);
    // Confirmed: no later sweep, on either instance, alerts again.
    assert.deepEqual(await wb.sweep(now + 10 * LEASE), [{ agentId: "002", state: "silent", atMs: T0 + 60_000 + SILENT_AFTER, lastSeenMs: T0 + 60_000, snapshot: snapshot("002") }]);
    await wb.confirm(["002"]);
    assert.deepEqual(await wa.sweep(now + 20 * LEASE), []);
  });

  it("exactly at SILENT_HOST_AFTER an agent is not silent yet; one ms later it is", async () => {
    const [wa] = pair();
    await wa.seen(hb("003", 1, T0));
    assert.deepEqual(await wa.sweep(T0 + SILENT_AFTER), []);
    assert.equal((await wa.sweep(T0 + SILENT_AFTER + 1)).length, 1);
  });

  it("a pipeline that stalls (a held batch, a backlog) makes no host silent: the sweep judges against the watermark, not the wall clock", async () => {
    const [wa] = pair();
    await wa.seen(hb("010", 1, T0));
    // Nothing processed since T0 for 10 minutes: this instance is behind, at T0.
    const stalled = { instanceId: "a", watermarkMs: T0, behind: true };
    assert.deepEqual(await wa.sweep(T0 + 600_000, stalled), []);
    // The backlog drains: the agent's heartbeats of the stall arrive, each with its own time.
    await wa.seen(hb("010", 2, T0 + 601_000, T0 + 30_000));
    assert.deepEqual(await wa.sweep(T0 + 602_000, { instanceId: "a", watermarkMs: T0 + 30_000, behind: true }), []);
  });

  it("last seen is the agent's event time: a host whose events stopped is silent even if its last heartbeat was processed late", async () => {
    const [wa] = pair();
    // Its last heartbeat, stamped T0, reached rules 5 minutes late; the pipeline has caught up since.
    await wa.seen(hb("011", 1, T0 + 300_000, T0));
    const [silent] = await wa.sweep(T0 + 300_000, { instanceId: "a", watermarkMs: T0 + 300_000 });
    assert.deepEqual(silent, { agentId: "011", state: "silent", atMs: T0 + SILENT_AFTER, lastSeenMs: T0, snapshot: snapshot("011") });
  });

  it("one lagging instance holds every instance's sweep back until its report expires (it died: its partitions moved)", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("012", 1, T0));
    const now = T0 + 600_000;
    assert.deepEqual(await wb.sweep(now, { instanceId: "b", watermarkMs: T0 + 10_000, behind: true }), []);
    assert.deepEqual(await wa.sweep(now + 1_000, { instanceId: "a", watermarkMs: now + 1_000 }), [], "b's watermark is the lowest live one");
    // b reports no more: after the report's TTL (2 minutes) a's own watermark decides.
    assert.equal((await wa.sweep(now + 121_000, { instanceId: "a", watermarkMs: now + 121_000 })).length, 1);
  });

  it("an instance that caught up (its partitions may just be idle, its newest event old) holds nobody back", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("013", 1, T0));
    const now = T0 + 600_000;
    assert.deepEqual(await wb.sweep(now, { instanceId: "b", watermarkMs: T0 + 10_000, behind: true }), []);
    // b caught up: its report is withdrawn at its next sweep, though its own newest event is still old.
    assert.deepEqual(await wb.sweep(now + 1_000, { instanceId: "b", watermarkMs: T0 + 20_000 }), []);
    assert.equal((await wa.sweep(now + 2_000, { instanceId: "a", watermarkMs: now + 2_000 })).length, 1);
  });

  it("an unconfirmed alert (the producer failed) is re-emitted after its lease, with the same time", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("004", 1, T0));
    const [first] = await wa.sweep(T0 + SILENT_AFTER + 1);
    assert.ok(first);
    assert.deepEqual(await wb.sweep(T0 + SILENT_AFTER + 1 + LEASE - 1), [], "still leased to the first sweeper");
    const [again] = await wb.sweep(T0 + SILENT_AFTER + 1 + LEASE);
    assert.deepEqual(again, first);
    assert.equal(hostAlertEvent(again!).docker.timeNano, hostAlertEvent(first!).docker.timeNano);
  });

  it("'returned' fires once when the agent comes back, whichever instance sees which heartbeat", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("005", 1, T0));
    assert.equal((await wa.sweep(T0 + SILENT_AFTER + 1)).length, 1);
    await wa.confirm(["005"]);
    const back = T0 + 600_000;
    // Two new heartbeats reach both instances at the same moment.
    const results = await Promise.all([wa.seen(hb("005", 2, back)), wb.seen(hb("005", 3, back + 1)), wb.seen(hb("005", 2, back)), wa.seen(hb("005", 3, back + 1))]);
    const returned = results.filter((r): r is HostTransition => r !== null);
    const distinct = new Set(returned.map((r) => JSON.stringify(r)));
    assert.equal(distinct.size, 1, `one return, got ${JSON.stringify(returned)}`);
    const [r] = returned;
    assert.equal(r!.state, "returned");
    assert.equal(r!.lastSeenMs, T0, "silent since its last heartbeat before the silence");
    // Only a redelivery of the very heartbeat that ended the silence repeats it (a retried batch); the other one never does.
    assert.ok(returned.every((x) => x.atMs === r!.atMs));
    assert.deepEqual(await wb.sweep(back + 1_000), []);
  });

  it("an old heartbeat redelivered during a silence neither ends it nor refreshes last seen", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("006", 1, T0));
    await wa.seen(hb("006", 2, T0 + 30_000));
    assert.equal((await wb.sweep(T0 + 30_000 + SILENT_AFTER + 1)).length, 1);
    await wb.confirm(["006"]);
    // The heartbeat of T0 arrives again, processed now: stale by its own time.
    assert.equal(await wa.seen(hb("006", 1, T0 + 900_000, T0)), null);
    const fresh = await wb.seen(hb("006", 3, T0 + 900_001));
    assert.equal(fresh?.state, "returned");
  });

  it("a return before the silent alert was confirmed is not turned back into 'silent' by the late confirm", async () => {
    const [wa, wb] = pair();
    await wa.seen(hb("007", 1, T0));
    assert.equal((await wa.sweep(T0 + SILENT_AFTER + 1)).length, 1);
    assert.equal((await wb.seen(hb("007", 2, T0 + SILENT_AFTER + 2)))?.state, "returned");
    await wa.confirm(["007"]);
    // Alive: a sweep shortly after finds nothing.
    assert.deepEqual(await wb.sweep(T0 + SILENT_AFTER + 3 + LEASE), []);
  });

  it("the sweeper component confirms only after its emit succeeded", async () => {
    const [wa] = pair();
    await wa.seen(hb("008", 1, T0));
    let now = T0 + SILENT_AFTER + 1;
    let fail = true;
    const emitted: HostTransition[][] = [];
    const sweeper = createHostSweeper({
      watch: wa,
      intervalMs: 60_000,
      silentAfterMs: SILENT_AFTER,
      logger: createLogger("test", "silent"),
      now: () => now,
      emit: async (t) => {
        emitted.push(t);
        if (fail) throw new Error("kafka down");
      },
    });
    await assert.rejects(sweeper.sweepNow(), /kafka down/);
    now += LEASE;
    fail = false;
    assert.equal((await sweeper.sweepNow()).length, 1);
    now += 10 * LEASE;
    assert.deepEqual(await sweeper.sweepNow(), []);
    assert.equal(emitted.length, 2);
    assert.deepEqual(emitted[0], emitted[1]);
  });
});

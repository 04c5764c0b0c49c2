import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { DependencyError } from "@dockwatch/errors";
import type { CorrelationHit, Correlator, FrequencySpec, Observation } from "../src/index.js";
import { SHIPPED_RULES_DIR, evaluate, evaluateEvent, evaluateEvents, loadRuleset } from "../src/index.js";
import { decodedEvent, testAlertContext } from "../src/testing.js";

/**
 * The Correlator contract in memory (tumbling windows, distinct event ids,
 * one hit per window), to test the rule engine's side alone; the Redis
 * implementation has its own tests against the real Redis.
 */
function memoryCorrelator(): Correlator & { calls: { spec: FrequencySpec; group: string; eventId: string }[] } {
  const windows = new Map<string, { ids: Set<string>; fired: boolean }>();
  const calls: { spec: FrequencySpec; group: string; eventId: string }[] = [];
  return {
    calls,
    async observe(spec, group, eventId, eventTimeMs): Promise<CorrelationHit | null> {
      calls.push({ spec, group, eventId });
      const start = eventTimeMs - (eventTimeMs % spec.timeframeMs);
      const key = `${spec.ruleId}|${group}|${start}`;
      const w = windows.get(key) ?? { ids: new Set<string>(), fired: false };
      windows.set(key, w);
      if (w.fired) return null;
      w.ids.add(eventId);
      if (w.ids.size < spec.frequency) return null;
      w.fired = true;
      return { ruleId: spec.ruleId, groupKey: group, windowStartMs: start, count: w.ids.size, correlationId: `corr-${key}` };
    },
  };
}

const ctx = testAlertContext({ now: new Date() });
const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });
const base = 1_700_000_040_000n; // ms, 40 s into a 60 s window
const die = (i: number, container = "c1", exitCode = "1") =>
  decodedEvent({
    type: "container",
    action: "die",
    id: container,
    attributes: { name: container, exitCode },
    timeNano: ((base + BigInt(i) * 1000n) * 1_000_000n).toString(),
  });

describe("frequency rules through the Correlator interface", () => {
  it("the fifth failed exit of one container within the window raises one crash-loop alert beside its own", async () => {
    const correlator = memoryCorrelator();
    const ids: string[][] = [];
    for (let i = 0; i < 7; i++) {
      const alerts = await evaluate(die(i), ruleset, { minLevel: 3, ctx, correlator });
      ids.push(alerts.map((a) => a.rule.id));
    }
    assert.deepEqual(ids, [["87924"], ["87924"], ["87924"], ["87924"], ["87924", "130970"], ["87924"], ["87924"]]);
    const spec = correlator.calls[0]!.spec;
    assert.deepEqual(spec, { ruleId: "130970", frequency: 5, timeframeMs: 60_000, sameFields: ["agent.id", "docker.Actor.ID"] });
    assert.equal(correlator.calls[0]!.group, JSON.stringify(["001", "c1"]));
  });

  it("the correlation alert takes its id from the window and its data from the triggering event", async () => {
    const correlator = memoryCorrelator();
    let alerts: Alert[] = [];
    for (let i = 0; i < 5; i++) alerts = await evaluate(die(i), ruleset, { minLevel: 3, ctx, correlator });
    const crash = alerts.find((a) => a.rule.id === "130970")!;
    assert.match(crash.id, /^corr-130970\|/);
    assert.equal(crash.data.docker.timeNano, die(4).docker.timeNano);
    assert.equal(crash.rule.level, 10);
    assert.equal(crash.rule.description, "Container c1 is crash looping (5 failed exits within 60 s)");
  });

  it("a redelivered event counts once; other containers and clean exits count apart", async () => {
    const correlator = memoryCorrelator();
    const hits = async (e: ReturnType<typeof die>) =>
      (await evaluate(e, ruleset, { minLevel: 3, ctx, correlator })).filter((a) => a.rule.id === "130970").length;
    let total = 0;
    for (let i = 0; i < 4; i++) total += await hits(die(i));
    total += await hits(die(3)); // redelivery of the fourth
    total += await hits(die(4, "c2"));
    total += await hits(die(5, "c1", "0"));
    assert.equal(total, 0);
    assert.equal(await hits(die(6)), 1);
  });

  it("without a correlator, frequency rules count nothing and the chain still alerts", async () => {
    const alerts = await evaluate(die(0), ruleset, { minLevel: 3, ctx });
    assert.deepEqual(alerts.map((a) => a.rule.id), ["87924"]);
  });

  it("with the correlation state unreachable, the event's own alerts go out marked unavailable, and no correlation alert", async () => {
    const unreachable: Correlator = { observe: () => Promise.reject(new DependencyError("redis-unavailable", "ECONNREFUSED")) };
    for (let i = 0; i < 5; i++) {
      const result = await evaluateEvent(die(i), ruleset, { minLevel: 3, ctx, correlator: unreachable });
      assert.equal(result.correlation, "unavailable");
      assert.deepEqual(result.alerts.map((a) => `${a.rule.id} ${a.dockwatch.correlation}`), ["87924 unavailable"]);
    }
  });

  it("an event no frequency rule counts is not marked, even with the correlation state unreachable", async () => {
    const unreachable: Correlator = { observe: () => Promise.reject(new DependencyError("redis-unavailable", "ECONNREFUSED")) };
    const start = decodedEvent({ type: "container", action: "start", id: "c1", attributes: { name: "web" } });
    const result = await evaluateEvent(start, ruleset, { minLevel: 3, ctx, correlator: unreachable });
    assert.deepEqual([result.correlation, ...result.alerts.map((a) => a.dockwatch.correlation)], ["ok", "ok"]);
  });

  it("a correlator bug (not retryable) is not mistaken for an outage", async () => {
    const buggy: Correlator = { observe: () => Promise.reject(new TypeError("boom")) };
    await assert.rejects(evaluate(die(0), ruleset, { minLevel: 3, ctx, correlator: buggy }), TypeError);
  });
});

/** memoryCorrelator with observeMany: the same observations in order, as one call (the Redis pipeline's contract). */
function batchCorrelator(failAt?: (call: number) => Error | undefined): Correlator & { calls: { spec: FrequencySpec; group: string; eventId: string }[]; batches: number } {
  const inner = memoryCorrelator();
  let n = 0;
  const c = {
    calls: inner.calls,
    batches: 0,
    observe: inner.observe,
    async observeMany(observations: Observation[]): Promise<Array<PromiseSettledResult<CorrelationHit | null>>> {
      c.batches += 1;
      const out: Array<PromiseSettledResult<CorrelationHit | null>> = [];
      for (const o of observations) {
        const err = failAt?.(n++);
        if (err) out.push({ status: "rejected", reason: err });
        else out.push({ status: "fulfilled", value: await inner.observe(o.spec, o.groupKey, o.eventId, o.eventTimeMs) });
      }
      return out;
    },
  };
  return c;
}

describe("evaluateEvents: a batch's correlation in one correlator call", () => {
  const batch = [die(0), die(1), die(1), die(2, "c2"), die(2), die(3), die(4), die(5), die(6, "c1", "0")];
  const summary = (results: Awaited<ReturnType<typeof evaluateEvents>>) =>
    results.map((r) => ("error" in r ? "error" : `${r.correlation}:${r.alerts.map((a) => `${a.rule.id}/${a.id}`).join(",")}`));

  it("gives every event the alerts that evaluateEvent one by one gives, with one observeMany call", async () => {
    const one = memoryCorrelator();
    const expected = [];
    for (const e of batch) expected.push(await evaluateEvent(e, ruleset, { minLevel: 3, ctx, correlator: one }));
    const many = batchCorrelator();
    const results = await evaluateEvents(batch, ruleset, { minLevel: 3, ctx, correlator: many });
    assert.equal(many.batches, 1);
    assert.deepEqual(summary(results), summary(expected));
    assert.deepEqual(many.calls, one.calls, "the same observations in the same order");
    assert.ok(summary(results).some((s) => s.includes("130970")), "the batch fills the crash-loop window");
  });

  it("an observation that failed (retryable) marks its event unavailable and no other", async () => {
    const many = batchCorrelator((call) => (call === 1 ? new DependencyError("redis-unavailable", "timeout") : undefined));
    const results = await evaluateEvents([die(0), die(1), die(2)], ruleset, { minLevel: 3, ctx, correlator: many });
    assert.deepEqual(
      results.map((r) => ("error" in r ? "error" : `${r.correlation} ${r.alerts.map((a) => a.dockwatch.correlation).join(",")}`)),
      ["ok ok", "unavailable unavailable", "ok ok"],
    );
  });

  it("a correlator bug (not retryable) rejects the batch", async () => {
    const many = batchCorrelator(() => new TypeError("boom"));
    await assert.rejects(evaluateEvents([die(0)], ruleset, { minLevel: 3, ctx, correlator: many }), TypeError);
  });

  it("without observeMany, falls back to evaluateEvent per event", async () => {
    const one = memoryCorrelator();
    const results = await evaluateEvents(batch, ruleset, { minLevel: 3, ctx, correlator: one });
    assert.equal(summary(results).filter((s) => s.includes("130970")).length, 1);
  });
});

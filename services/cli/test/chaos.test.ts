import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createCodec, MemorySchemaStore } from "@dockwatch/codec";
import { loadRuleset, SHIPPED_RULES_DIR } from "@dockwatch/rule-engine";
import { testAlertContext } from "@dockwatch/rule-engine/testing";
import { compare, type IndexedDoc } from "../scripts/chaos/compare.js";
import { hostileBatch, HOSTILE_KINDS, parseHostileKey } from "../scripts/chaos/hostile.js";
import { reportTable } from "../scripts/chaos/report.js";
import { expectedAlerts, SyntheticWorkload, type Expectation } from "../scripts/chaos/workload.js";

// The chaos harness's pure parts: the expected alerts, the comparison with
// Elasticsearch's documents, the hostile messages and the report table.

const exp: Expectation = { ruleset: loadRuleset({ shippedDir: SHIPPED_RULES_DIR }), minLevel: 3, ctx: () => testAlertContext() };
const agent = { id: "a1", name: "a1", ip: "192.0.2.1" };
const engine = { id: "ENGINE", hostname: "h", version: "20.10.24", apiVersion: "1.41" };

function docOf(id: string, ruleId: string, raw: Awaited<ReturnType<SyntheticWorkload["next"]>>["raw"], index = "i-1"): IndexedDoc {
  const e = raw.event!;
  return { _id: id, _index: index, doc: { agent: { id: raw.agent.id }, rule: { id: ruleId }, data: { docker: { timeNano: String(e.timeNano), Actor: { ID: e.Actor.ID }, Type: e.Type, Action: e.Action } } } };
}

describe("chaos harness", () => {
  it("gives every synthetic record at least one alert, no correlation, and ids that do not repeat", async () => {
    const wl = new SyntheticWorkload("run-s", agent, engine, exp);
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const r = await wl.next(1_795_873_684_000);
      assert.ok(r.alerts.length > 0);
      for (const a of r.alerts) {
        assert.ok(!ids.has(a.id), `id ${a.id} repeats`);
        ids.add(a.id);
      }
      assert.deepEqual((await expectedAlerts(r.raw, exp)).alerts, r.alerts, "the same record gives the same alerts");
    }
  });

  it("counts missing, duplicated (an id twice, or one logical alert under two ids) and unexpected alerts", async () => {
    const wl = new SyntheticWorkload("run-s", agent, engine, exp);
    const a = await wl.next();
    const b = await wl.next();
    const c = await wl.next();
    const expected = [...a.alerts, ...b.alerts, ...c.alerts];
    const docs = [
      ...a.alerts.map((x) => docOf(x.id, x.ruleId, a.raw)),
      // b indexed twice: once under its id in two indices, once under a foreign id
      ...b.alerts.map((x) => docOf(x.id, x.ruleId, b.raw)),
      docOf(b.alerts[0]!.id, b.alerts[0]!.ruleId, b.raw, "i-2"),
      docOf("other-id", b.alerts[0]!.ruleId, b.raw),
    ];
    const cmp = compare(expected, docs);
    assert.deepEqual(cmp.missing.sort(), c.alerts.map((x) => x.id).sort());
    assert.equal(cmp.indexed, expected.length - c.alerts.length);
    assert.equal(cmp.duplicated.length, 2);
    assert.deepEqual(cmp.unexpected, { [b.alerts[0]!.ruleId]: 1 });
    assert.deepEqual(compare(expected, [...docs.slice(0, a.alerts.length + b.alerts.length), ...c.alerts.map((x) => docOf(x.id, x.ruleId, c.raw))]), {
      expected: expected.length,
      indexed: expected.length,
      missing: [],
      duplicated: [],
      unexpected: {},
    });
  });

  it("makes hostile messages of every kind with keys that name the topic and kind, none of them a valid record of its topic", async () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    for (const s of ["DockerEvent", "DecodedEvent", "Alert"]) await codec.register(s);
    const wl = new SyntheticWorkload("run-sample", agent, engine, exp, 1);
    const r = await wl.next();
    const { evaluate } = await import("@dockwatch/rule-engine");
    const [alert] = await evaluate(r.decoded, exp.ruleset, { minLevel: 3, ctx: testAlertContext() });
    const samples = { raw: r.raw, decoded: r.decoded, alert: alert! };
    const batch = hostileBatch("hostile", "raw", 60, samples, (schema, value) => codec.encode(schema, value));
    assert.equal(batch.length, 60);
    assert.deepEqual(new Set(batch.map((m) => m.kind)), new Set(HOSTILE_KINDS));
    assert.equal(new Set(batch.map((m) => m.key)).size, 60);
    assert.deepEqual(parseHostileKey(batch[0]!.key), { scenario: "hostile", topic: "raw", kind: "random-bytes" });
    for (const m of batch.filter((x) => x.kind !== "absurd-fields")) {
      // absurd fields decode (that is the point: only a contract check refuses them)
      await assert.rejects(codec.decode("DockerEvent", m.value), `${m.kind} decoded as a DockerEvent`);
    }
  });

  it("reports a table row per scenario, skipped ones without figures", () => {
    const base = { expected: 10, indexed: 9, missing: 1, duplicated: 0, hostileSent: 5, hostileInDlq: 5, oversize: { sent: 1, alerted: 0, deadLettered: 1, lost: 0 }, recoveryMs: 1500, unexpected: {}, dlqReasons: {}, notes: [], examples: { missing: [], duplicated: [], notInDlq: [] } };
    const table = reportTable([
      { ...base, scenario: "hostile", status: "fail" },
      { ...base, scenario: "leader-kill", status: "skipped" },
    ]);
    assert.match(table, /\| hostile \| fail \| 10 \| 9 \| 1 \| 0 \| 6 \| 6 \| 1\.5 s \|/);
    assert.match(table, /\| leader-kill \| skipped \| – \|/);
  });
});

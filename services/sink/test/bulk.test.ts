import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { alertBulkDoc, bulkLines, classifyBulkItems, indexFor, loadSinkConfig, sameAlert } from "../src/index.js";

function alert(time: string, id = `${time}.42`): Alert {
  return {
    timestamp: "2018-10-06T01:15:33.892+0200",
    rule: { level: 3, description: "Container apache started", id: "87903", mail: false, groups: ["docker"], pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: { id: [], tactic: [], technique: [] } },
    agent: { id: "002", name: "agent001", ip: "192.168.122.19" },
    manager: { name: "m" },
    id,
    cluster: { name: "wazuh", node: "master" },
    full_log: "{}",
    decoder: { name: "json" },
    data: {
      integration: "docker",
      docker: { status: "start", id: "c", from: null, Type: "container", Action: "start", Actor: { ID: "c", Attributes: { name: "apache" } }, scope: null, time, timeNano: `${time}877226210` },
    },
    location: "Wazuh-Docker",
    dockwatch: { version: "0.1.0", ruleset: "abc", correlation: "ok", truncated: false },
    container: null,
  };
}

describe("indexFor", () => {
  it("uses the source event's UTC date, not the processing time's", () => {
    // 2018-10-05T23:59:59Z: the timestamp above is already the 6th in +0200.
    assert.equal(indexFor(alert("1538783999")), "dockwatch-alerts-2018.10.05");
    assert.equal(indexFor(alert("1538784000")), "dockwatch-alerts-2018.10.06");
  });

  it("names the daily index after SINK_INDEX_PREFIX", () => {
    const { indices } = loadSinkConfig({ SINK_INDEX_PREFIX: "second-pipeline" });
    assert.equal(indexFor(alert("1538783999"), indices.dailyPrefix), "second-pipeline-2018.10.05");
    assert.equal(alertBulkDoc(alert("1538783999"), indices.dailyPrefix).index, "second-pipeline-2018.10.05");
  });
});

describe("alertBulkDoc", () => {
  it("writes create operations (never replacing) with _id = alert id and the seed's document keys", () => {
    const [op, doc] = bulkLines(alertBulkDoc(alert("1538752533"))).split("\n").map((line) => JSON.parse(line) as Record<string, unknown>) as [
      Record<string, { _index: string; _id: string }>,
      Record<string, unknown>,
    ];
    assert.deepEqual(op, { create: { _index: "dockwatch-alerts-2018.10.05", _id: "1538752533.42" } });
    for (const key of ["timestamp", "rule", "agent", "manager", "id", "cluster", "full_log", "decoder", "data", "location"]) {
      assert.ok(key in doc, `document has ${key}`);
    }
    assert.equal("pci_dss" in (doc.rule as object), false, "empty compliance lists are left out");
    assert.equal("from" in ((doc.data as { docker: object }).docker), false, "null fields are left out");
  });
});

describe("alertBulkDoc for dockwatch replay", () => {
  it("writes an index operation, the one that replaces", () => {
    const [op] = bulkLines(alertBulkDoc(alert("1538752533"), undefined, true)).split("\n").map((line) => JSON.parse(line) as unknown);
    assert.deepEqual(op, { index: { _index: "dockwatch-alerts-2018.10.05", _id: "1538752533.42" } });
  });
});

describe("sameAlert", () => {
  const indexed = () => JSON.parse(alertBulkDoc(alert("1538752533")).source) as Record<string, unknown>;
  const variant = (change: (a: Alert) => void) => {
    const a = alert("1538752533");
    change(a);
    return alertBulkDoc(a).source;
  };
  it("a byte-identical redelivery is the same alert", () => {
    assert.equal(sameAlert(indexed(), alertBulkDoc(alert("1538752533")).source), true);
  });
  it("so is the same event evaluated again later (processing time, correlation availability), whatever the key order", () => {
    assert.equal(sameAlert(indexed(), variant((a) => ((a.timestamp = "2018-10-06T01:20:00.000+0200"), (a.dockwatch.correlation = "unavailable")))), true);
    const reordered = Object.fromEntries(Object.entries(indexed()).reverse());
    assert.equal(sameAlert(reordered, alertBulkDoc(alert("1538752533")).source), true);
  });
  it("anything else that differs is a conflict: level, description, rule, agent, ruleset, event data", () => {
    for (const change of [
      (a: Alert) => (a.rule.level = 0),
      (a: Alert) => (a.rule.description = "nothing happened"),
      (a: Alert) => (a.rule.id = "87904"),
      (a: Alert) => (a.agent.name = "elsewhere"),
      (a: Alert) => (a.dockwatch.ruleset = "another"),
      (a: Alert) => (a.data.docker.Action = "stop"),
      (a: Alert) => (a.full_log = '{"forged":true}'),
    ]) {
      assert.equal(sameAlert(indexed(), variant(change)), false, String(change));
    }
    assert.equal(sameAlert(indexed(), "not json"), false);
  });
});

describe("classifyBulkItems", () => {
  it("reads create results; a 409 version conflict says the id exists; the result of an index op is kept", () => {
    const outcomes = classifyBulkItems([
      { create: { status: 201, result: "created" } },
      { create: { status: 409, error: { type: "version_conflict_engine_exception", reason: "[x]: version conflict, document already exists (current version [1])" } } },
      { index: { status: 200, result: "updated" } },
    ]);
    assert.deepEqual(outcomes, [
      { kind: "indexed", result: "created" },
      { kind: "exists", status: 409, error: "version_conflict_engine_exception: [x]: version conflict, document already exists (current version [1])" },
      { kind: "indexed", result: "updated" },
    ]);
  });

  it("retries 429 and 5xx items only, rejects other failures, accepts 2xx", () => {
    const outcomes = classifyBulkItems([
      { index: { status: 201 } },
      { index: { status: 200 } },
      { index: { status: 429, error: { type: "es_rejected_execution_exception", reason: "queue full" } } },
      { index: { status: 503, error: { type: "unavailable_shards_exception", reason: "primary not active" } } },
      { index: { status: 400, error: { type: "mapper_parsing_exception", reason: "failed to parse field [rule.level]" } } },
    ]);
    assert.deepEqual(outcomes.map((o) => o.kind), ["indexed", "indexed", "retry", "retry", "reject"]);
    assert.equal(outcomes[4]!.kind === "reject" && outcomes[4]!.error, "mapper_parsing_exception: failed to parse field [rule.level]");
    assert.equal(outcomes[3]!.kind === "retry" && outcomes[3]!.capped, true, "a 5xx item is retried a bounded number of times");
    assert.equal(outcomes[2]!.kind === "retry" && outcomes[2]!.capped, false, "throttling is not");
  });

  it("holds the batch when the index refuses writes, whatever the document", () => {
    const outcomes = classifyBulkItems([
      { index: { status: 400, error: { type: "index_closed_exception", reason: "closed" } } },
      { index: { status: 403, error: { type: "cluster_block_exception", reason: "index [x] blocked by: [FORBIDDEN/8/index write (api)]" } } },
      { index: { status: 429, error: { type: "cluster_block_exception", reason: "disk usage exceeded flood-stage watermark" } } },
      { index: { status: 403, error: { type: "security_exception", reason: "action [indices:data/write/bulk[s]] is unauthorized" } } },
      { index: { status: 404, error: { type: "index_not_found_exception", reason: "no such index and [action.auto_create_index] is [false]" } } },
      { index: { status: 400, error: { type: "validation_exception", reason: "this action would add [2] shards, but this cluster currently has [1000]/[1000]" } } },
      { index: { status: 400, error: { type: "document_parsing_exception", reason: "failed to parse field [timestamp]" } } },
    ]);
    assert.deepEqual(
      outcomes.map((o) => (o.kind === "hold" ? o.code : o.kind)),
      ["es-index-closed", "es-write-blocked", "es-write-blocked", "es-forbidden", "es-index-unavailable", "es-index-unavailable", "reject"],
    );
  });
});

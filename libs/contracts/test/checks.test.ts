import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_EPOCH_SECONDS, alertDocument, alertFromDocument, alertProblem, decodedEventProblem, dockerEventProblem, type Alert } from "../src/index.js";

function alert(): Alert {
  return {
    timestamp: "2025-11-24T16:00:00.000+0000",
    rule: { level: 3, description: "d", id: "87903", mail: false, groups: ["docker"], pci_dss: ["10.6.1"], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: { id: [], tactic: [], technique: [] } },
    agent: { id: "001", name: "a", ip: "127.0.0.1" },
    manager: { name: "m" },
    id: "1764000000.abc",
    cluster: { name: "c", node: "n" },
    full_log: null,
    decoder: { name: "json" },
    data: {
      integration: "docker",
      docker: { status: null, id: null, from: null, Type: "container", Action: "start", Actor: { ID: "x", Attributes: {} }, scope: null, time: "1764000000", timeNano: "1764000000000000001" },
    },
    location: "Wazuh-Docker",
    dockwatch: { version: "0.1.0", ruleset: "r", correlation: "ok", truncated: false },
    container: null,
  };
}

describe("contract checks", () => {
  it("accept a good alert and name the first absurd field of a bad one", () => {
    assert.equal(alertProblem(alert()), undefined);
    assert.match(alertProblem({ ...alert(), id: "" })!, /id is empty/);
    assert.match(alertProblem({ ...alert(), id: "x".repeat(513) })!, /512 bytes/);
    assert.match(alertProblem({ ...alert(), timestamp: "never" })!, /timestamp/);
    assert.match(alertProblem({ ...alert(), rule: { ...alert().rule, level: 99 } })!, /rule\.level/);
    const at = (time: string) => ({ ...alert(), data: { ...alert().data, docker: { ...alert().data.docker, time } } });
    assert.match(alertProblem(at("soon"))!, /data\.docker\.time/);
    assert.match(alertProblem(at(String(MAX_EPOCH_SECONDS + 1)))!, /year 9999/);
    assert.equal(alertProblem(at("1764000000.5")), undefined);
  });

  it("refuse events with negative or impossible times", () => {
    const event = { agent: { id: "1" }, receivedAtNano: 1n, event: { time: 1n, timeNano: 1n } };
    assert.equal(dockerEventProblem(event), undefined);
    assert.match(dockerEventProblem({ ...event, event: { time: -5n, timeNano: 1n } })!, /event\.time/);
    assert.match(dockerEventProblem({ ...event, receivedAtNano: -1n })!, /receivedAtNano/);
    const decoded = { agent: { id: "1" }, timestamp: "2025-11-24T16:00:00.000Z", docker: { time: "1764000000" }, receivedAtNano: 1n };
    assert.equal(decodedEventProblem(decoded), undefined);
    assert.match(decodedEventProblem({ ...decoded, timestamp: "" })!, /timestamp/);
  });

  it("alertFromDocument undoes alertDocument", () => {
    const a = alert();
    assert.deepEqual(alertFromDocument(JSON.parse(JSON.stringify(alertDocument(a)))), a);
    assert.equal(alertFromDocument("poison"), "poison");
  });
});

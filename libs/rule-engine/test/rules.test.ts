import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DecodedEvent } from "@dockwatch/contracts";
import { seedAlerts } from "@dockwatch/test-helpers";
import { SHIPPED_RULES_DIR, alertId, evaluate, formatTimestamp, loadRuleset, type AlertContext } from "../src/index.js";

const ctx: AlertContext = {
  manager: { name: "localhost.localdomain" },
  cluster: { name: "wazuh", node: "master" },
  location: "Wazuh-Docker",
  version: "0.1.0",
  ruleset: "test",
  now: new Date("2018-10-05T15:15:33.892Z"),
  utcOffsetMinutes: 120,
};

const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });

/** The decoded event the seed's alert came from (its data.docker and full_log). */
function decodedFromSeed(seed: ReturnType<typeof seedAlerts>[number]): DecodedEvent {
  const docker = seed.document.data.docker as unknown as DecodedEvent["docker"];
  const exactNano = /"timeNano": (\d+)/.exec(seed.engineEventText)![1]!;
  return {
    kind: "engine",
    agent: seed.document.agent as DecodedEvent["agent"],
    engine: { id: "E", hostname: "h", version: "20.10.24", apiVersion: "1.41" },
    docker: { ...docker, scope: null, timeNano: exactNano },
    fullLog: seed.document.full_log,
    timestamp: "2018-10-05T15:15:33.877Z",
    event: { action: seed.action, type: [], category: [] },
    container: null,
    exec: null,
    inspect: null,
    host: { name: "agent001", hostname: "h", ip: "192.168.122.19" },
    message: null,
    receivedAtNano: 0n,
    truncated: false,
  };
}

describe("the seed's four alerts, from the shipped YAML ruleset", () => {
  for (const seed of seedAlerts()) {
    it(`docker ${seed.action} apache -> rule ${seed.document.rule.id}`, async () => {
      const [alert, ...more] = await evaluate(decodedFromSeed(seed), ruleset, { minLevel: 3, ctx });
      assert.equal(more.length, 0, "one alert per source event");
      assert.ok(alert);
      assert.deepEqual(alert.rule.id, seed.document.rule.id);
      assert.deepEqual(
        { level: alert.rule.level, description: alert.rule.description, id: alert.rule.id, mail: alert.rule.mail, groups: alert.rule.groups },
        seed.document.rule,
      );
      // The seed has no compliance keys and no mitre (Wazuh 4.14's 87903-87906 have none either).
      assert.deepEqual([alert.rule.pci_dss, alert.rule.gdpr, alert.rule.hipaa, alert.rule.nist_800_53, alert.rule.tsc], [[], [], [], [], []]);
      assert.deepEqual(alert.rule.mitre, { id: [], tactic: [], technique: [] });
      assert.equal(alert.full_log, seed.document.full_log);
      assert.equal(alert.location, seed.document.location);
      assert.deepEqual(alert.decoder, seed.document.decoder);
      assert.deepEqual(alert.manager, seed.document.manager);
      assert.deepEqual(alert.cluster, seed.document.cluster);
      assert.deepEqual(alert.agent, seed.document.agent);
      assert.equal(alert.data.integration, "docker");
      assert.match(alert.id, new RegExp(`^${String(seed.document.data.docker.time)}\\.\\d+$`));
      assert.equal(alert.dockwatch.ruleset, "test");
    });
  }

  it("the minimum level filters alerts out", async () => {
    assert.deepEqual(await evaluate(decodedFromSeed(seedAlerts()[0]!), ruleset, { minLevel: 4, ctx }), []);
  });

  it("an event whose chain ends on a level-0 group gets the level-3 catch-all, naming its type and action", async () => {
    const event = decodedFromSeed(seedAlerts()[0]!);
    event.docker = { ...event.docker, Action: "frobnicate" };
    const alerts = await evaluate(event, ruleset, { minLevel: 0, ctx });
    assert.deepEqual(
      alerts.map((a) => [a.rule.id, a.rule.level, a.rule.description]),
      [["130999", 3, "Docker: unknown event container frobnicate"]],
    );
    event.docker = { ...event.docker, Type: "volume", Action: "prune" };
    assert.deepEqual(
      (await evaluate(event, ruleset, { minLevel: 0, ctx })).map((a) => a.rule.description),
      ["Docker: unknown event volume prune"],
    );
  });
});

describe("alert ids and timestamps", () => {
  it("the same event always gives the same id; another event another id", () => {
    const [a, b] = seedAlerts().map(decodedFromSeed);
    assert.equal(alertId(a!), alertId(structuredClone(a!)));
    assert.notEqual(alertId(a!), alertId(b!));
  });

  it("formats the seed's timestamp shape with the zone offset", () => {
    assert.equal(formatTimestamp(new Date("2018-10-05T15:15:33.892Z"), 120), "2018-10-05T17:15:33.892+0200");
    assert.equal(formatTimestamp(new Date("2018-10-05T15:15:33.892Z"), -330), "2018-10-05T09:45:33.892-0530");
    assert.equal(formatTimestamp(new Date("2018-10-05T15:15:33.892Z"), 0), "2018-10-05T15:15:33.892+0000");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testAlertContext } from "../src/testing.js";
import { hostAlertEvent, HOST_RULE_IDS, type HostTransition } from "../src/index.js";
import { SHIPPED_RULES_DIR, evaluate, loadRuleset } from "../src/index.js";

// The contract between the host watch and the shipped ruleset: the decoded
// events hostAlertEvent builds are what rules 130950 / 130951 match.

const ctx = testAlertContext({ now: new Date("2024-03-01T10:02:00.015Z") });

const lastSeenMs = Date.parse("2024-03-01T10:00:00.000Z");
const transition = (state: HostTransition["state"]): HostTransition => ({
  agentId: "007",
  state,
  atMs: lastSeenMs + 120_000,
  lastSeenMs,
  snapshot: {
    agent: { id: "007", name: "web-01", ip: "10.0.0.7" },
    engine: { id: "ENGINE", hostname: "h1", version: "20.10.24", apiVersion: "1.41" },
    host: { name: "web-01", hostname: "h1", ip: "10.0.0.7" },
  },
});

describe("host transitions through the shipped ruleset", () => {
  const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });
  for (const state of ["silent", "returned"] as const) {
    it(`a ${state} host gives one alert of rule ${HOST_RULE_IDS[state]}, for its agent, with a deterministic id`, async () => {
      const alerts = await evaluate(hostAlertEvent(transition(state)), ruleset, { minLevel: 3, ctx });
      assert.equal(alerts.length, 1);
      assert.equal(alerts[0]!.rule.id, HOST_RULE_IDS[state]);
      assert.match(alerts[0]!.rule.description, /web-01/);
      assert.deepEqual(alerts[0]!.agent, { id: "007", name: "web-01", ip: "10.0.0.7" });
      const again = await evaluate(hostAlertEvent(transition(state)), ruleset, { minLevel: 3, ctx });
      assert.equal(again[0]!.id, alerts[0]!.id);
    });
  }
});

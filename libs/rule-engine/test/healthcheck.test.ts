import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SHIPPED_RULES_DIR, evaluate, loadRuleset } from "../src/index.js";
import { decodedEvent, testAlertContext } from "../src/testing.js";

const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });
const ctx = testAlertContext();
const attributes = { name: "web", image: "dockwatch/busybox:1.35.0" };
const alertsOf = async (action: string, healthcheck: string[] | null) =>
  (await evaluate(decodedEvent({ type: "container", action, attributes, inspect: { healthcheck } }), ruleset, { minLevel: 3, ctx })).map((a) => a.rule.id);

describe("healthcheck probes", () => {
  // What the engine (20.10) reports for each probe of `--health-cmd true`: exec_create, exec_start, exec_die.
  const probe = ["exec_create: /bin/sh -c true", "exec_start: /bin/sh -c true", "exec_die"];

  it("a CMD-SHELL healthcheck's probes give no alert at the default minimum level, shell or root or not", async () => {
    for (const action of probe) assert.deepEqual(await alertsOf(action, ["CMD-SHELL", "true"]), [], action);
  });

  it("a CMD healthcheck's probes give none either", async () => {
    assert.deepEqual(await alertsOf("exec_start: wget -q -O- http://localhost/", ["CMD", "wget", "-q", "-O-", "http://localhost/"]), []);
  });

  it("the same command typed by a person still gives Wazuh's 87907 (and the shell detection)", async () => {
    const ids = await alertsOf("exec_start: /bin/sh -c true", null);
    assert.ok(ids.includes("87907"), ids.join(","));
    assert.deepEqual(await alertsOf("exec_start: /bin/sh -c true", ["CMD-SHELL", "exit 0"]), ids, "another command than the configured one is no probe");
  });
});

// Issue 12: one container with 900 labels of 1,000 characters used to make a
// record over the broker's message size; the publisher retried it forever,
// the idempotent producer wedged on "out of order sequence number", and no
// later event of the host reached Kafka. Real engine, real Kafka.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { DockerEvent } from "@dockwatch/contracts";
import { decodeEvent } from "@dockwatch/docker-event";
import { evaluate, loadRuleset, SHIPPED_RULES_DIR } from "@dockwatch/rule-engine";
import { testAlertContext } from "@dockwatch/rule-engine/testing";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { newWorld, readRawDuringSuite, startInProcess } from "./harness.js";

const world = newWorld();
const image = busyboxImage();
const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });

/** The rule ids the shipped ruleset gives a record, through the decoder's own decodeEvent. */
async function alertRules(record: DockerEvent): Promise<string[]> {
  const alerts = await evaluate(decodeEvent(record), ruleset, { minLevel: 3, ctx: testAlertContext() });
  return alerts.map((a) => a.rule.id).sort();
}

describe("an event over the broker's message size (900 labels of 1,000 characters)", () => {
  const reader = readRawDuringSuite(world);

  it("goes through truncated with its alerts, and the next docker run still reaches Kafka with its alerts", async () => {
    const env = world.collectorEnv();
    const collector = await startInProcess(env);
    const dir = mkdtempSync(join(tmpdir(), "big-labels-"));
    const big = unique("dw-big");
    const next = unique("dw-next");
    let bigId = "";
    let nextId = "";
    try {
      const labelFile = join(dir, "big.env");
      writeFileSync(labelFile, Array.from({ length: 900 }, (_, i) => `pad${i}=${"x".repeat(1000)}`).join("\n") + "\n");
      bigId = await docker("create", "--label-file", labelFile, "--name", big, image, "true");
      nextId = await docker("run", "-d", "--name", next, image, "true");
      const mine = (id: string, action: string) => reader.about(new Set([id]), env.AGENT_ID).find((v) => v.event!.Action === action);
      const [created, started] = await waitFor(
        "the big create and the next start in Kafka",
        async () => {
          const c = mine(bigId, "create");
          const s = mine(nextId, "start");
          return c && s ? [c, s] : undefined;
        },
        60_000,
      );
      assert.equal(created.truncated, true, "the big record says it was cut");
      const labels = Object.keys(created.event!.Actor.Attributes).filter((k) => k.startsWith("pad"));
      assert.equal(labels.length, 900, "no label dropped");
      assert.match(created.event!.Actor.Attributes.pad0!, /^x+…\[truncated \d+ bytes\]$/);
      assert.equal(created.event!.Actor.Attributes.name, big);
      assert.deepEqual(await alertRules(created), ["130985", "87901"], "container created, and the truncation alert");
      assert.equal(started.truncated, false);
      assert.deepEqual(await alertRules(started), ["87903"], "the next container's start alerts as usual");
    } finally {
      await collector.stop("test done");
      if (bigId) await docker("rm", "-f", bigId).catch(() => undefined);
      if (nextId) await docker("rm", "-f", nextId).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

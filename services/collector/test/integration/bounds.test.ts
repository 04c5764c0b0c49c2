// Issue 12: one container with 900 labels of 1,000 characters used to make a
// record over the broker's message size; the publisher retried it forever,
// the idempotent producer wedged on "out of order sequence number", and no
// later event of the host reached Kafka. Real engine, real Kafka.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createCodec, MemorySchemaStore } from "@dockwatch/codec";
import { kafkaSettings } from "@dockwatch/config";
import type { DockerEvent } from "@dockwatch/contracts";
import { decodeEvent } from "@dockwatch/docker-event";
import { containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { createKafka } from "@dockwatch/kafka";
import { evaluate, loadRuleset, SHIPPED_RULES_DIR } from "@dockwatch/rule-engine";
import { testAlertContext } from "@dockwatch/rule-engine/testing";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { Spool } from "../../src/spool.js";
import { RawReader, logger, newWorld, readRawDuringSuite, startInProcess } from "./harness.js";

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

describe("a spooled record the broker refuses", () => {
  const reader = readRawDuringSuite(world);

  it("an oversized record an older collector left in the spool is sent cut after the restart, and the records behind it follow", async () => {
    const env = world.collectorEnv();
    const id = unique("big-spooled");
    const labels = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`pad${i}`, "x".repeat(1000)]));
    const old = { ...rawFromEngineLine(containerLine("create", { ...labels, name: id }, id)), agent: { id: env.AGENT_ID!, name: env.AGENT_ID!, ip: "127.0.0.1" } };
    const value = createCodec({ store: new MemorySchemaStore() }).encode("DockerEvent", old);
    assert.ok(value.length > 1_048_588, `${value.length} bytes: over the broker's default message.max.bytes`);
    const spool = Spool.open(env.COLLECTOR_STATE_DIR!);
    spool.write({ entries: [{ topic: env.TOPIC_RAW!, key: id, value }] });
    spool.close();
    const collector = await startInProcess(env);
    const next = unique("dw-after");
    let nextId = "";
    try {
      nextId = await docker("run", "-d", "--name", next, image, "true");
      const [cut, started] = await waitFor("the spooled record and the next start in Kafka", async () => {
        const c = reader.about(new Set([id]), env.AGENT_ID).find((v) => v.event!.Action === "create");
        const s = reader.about(new Set([nextId]), env.AGENT_ID).find((v) => v.event!.Action === "start");
        return c && s ? [c, s] : undefined;
      });
      assert.equal(cut.truncated, true);
      assert.equal(Object.keys(cut.event!.Actor.Attributes).filter((k) => k.startsWith("pad")).length, 900, "no label dropped");
      assert.deepEqual(await alertRules(cut), ["130985", "87901"]);
      assert.deepEqual(await alertRules(started), ["87903"]);
    } finally {
      await collector.stop("test done");
      if (nextId) await docker("rm", "-f", nextId).catch(() => undefined);
    }
  });
});

describe("a broker whose message.max.bytes is below the collector's record bound", () => {
  // The raw topic accepts 30 KB records; the collector bounds its records to 60 KB.
  const small = newWorld();
  const reader = new RawReader(small.env);

  it("the refused record is cut to fit, the producer takes a new session, and later events still arrive", async () => {
    const kafka = createKafka(kafkaSettings(small.env, "collector-test"), logger);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: small.env.TOPIC_RAW!, numPartitions: 3, configEntries: [{ name: "max.message.bytes", value: "30000" }] }] });
    await admin.disconnect();
    const env: Record<string, string> = { ...small.collectorEnv(), COLLECTOR_MAX_RECORD_BYTES: "60000" };
    const collector = await startInProcess(env);
    await reader.start();
    const dir = mkdtempSync(join(tmpdir(), "mid-labels-"));
    const ids: string[] = [];
    try {
      const labelFile = join(dir, "mid.env");
      writeFileSync(labelFile, Array.from({ length: 40 }, (_, i) => `pad${i}=${"x".repeat(1000)}`).join("\n") + "\n");
      ids.push(await docker("create", "--label-file", labelFile, "--name", unique("dw-mid"), image, "true"));
      for (let i = 0; i < 3; i++) ids.push(await docker("run", "-d", "--name", unique("dw-after"), image, "true"));
      const [bigId = "", ...rest] = ids;
      const got = await waitFor("the refused create and three later starts", async () => {
        const c = reader.about(new Set([bigId]), env.AGENT_ID).find((v) => v.event!.Action === "create");
        const s = rest.map((r) => reader.about(new Set([r]), env.AGENT_ID).find((v) => v.event!.Action === "start"));
        return c && s.every(Boolean) ? { created: c, started: s as DockerEvent[] } : undefined;
      });
      assert.equal(got.created.truncated, true);
      assert.equal(Object.keys(got.created.event!.Actor.Attributes).filter((k) => k.startsWith("pad")).length, 40);
      assert.deepEqual(await alertRules(got.created), ["130985", "87901"]);
      for (const s of got.started) assert.deepEqual(await alertRules(s), ["87903"]);
      const metrics = await (await fetch(`http://127.0.0.1:${collector.healthPort}/metrics`)).text();
      assert.match(metrics, /^dockwatch_collector_refused_total [1-9]/m);
    } finally {
      await collector.stop("test done");
      await reader.stop();
      for (const id of ids) await docker("rm", "-f", id).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

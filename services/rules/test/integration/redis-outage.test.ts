import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DecodedEvent } from "@dockwatch/contracts";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { decodedEvent } from "@dockwatch/rule-engine/testing";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { loadRulesConfig, startRules } from "../../src/index.js";
import { privateRedis, type PrivateRedis } from "./private-redis.js";

// Degrade, don't stop (issue 12): the rules service on the real Kafka and a
// Redis of the test's own, which the test kills and starts again. With Redis
// gone, every per-event alert still comes out (before the fix no alert came
// at all: every batch was retried because correlation and host heartbeats
// needed Redis); the
// alerts of events that correlation could not count say so; /metrics shows
// correlation unavailable; once Redis is back, correlation fires again.

const logger = createLogger("rules-test", process.env.LOG_LEVEL ?? "warn");

interface AlertDoc {
  id: string;
  rule: { id: string };
  data: { docker: { Actor: { ID: string }; Action: string } };
  dockwatch: { correlation?: string };
}

describe("rules service with Redis down (private Redis, real Kafka)", () => {
  const run = unique("rules-outage");
  let redis: PrivateRedis;
  let service: RunningService;
  const alerts: AlertDoc[] = [];
  let clients: ReturnType<typeof createPipelineClients>;
  let reader: ReturnType<typeof clients.kafka.consumer>;
  const topics = { TOPIC_DECODED: `${run}.decoded`, TOPIC_ALERTS: `${run}.alerts`, TOPIC_DLQ: `${run}.dlq`, TOPIC_SCHEMAS: `${run}.schemas` };

  before(async () => {
    redis = await privateRedis();
    await redis.start();
    const config = loadRulesConfig({
      ...topics,
      ...infra.kafkaEnv,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `${run}:`,
      RULES_CONSUMER_GROUP: `${run}-rules`,
      ALERTS_FORMAT: "json",
      HEALTH_PORT: "0",
    });
    clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DecodedEvent"], topics: [{ topic: topics.TOPIC_DECODED, numPartitions: 1 }] });
    for (const c of clients.components) await c.start();
    service = await startRules(config, logger);
    reader = clients.kafka.consumer({ groupId: `${run}-reader` });
    await reader.connect();
    await reader.subscribe({ topics: [topics.TOPIC_ALERTS], fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void alerts.push(JSON.parse(message.value!.toString()) as AlertDoc) });
  });
  after(async () => {
    await reader?.disconnect();
    await service?.stop("test done");
    for (const c of [...(clients?.components ?? [])].reverse()) await c.stop();
    await redis?.stop();
  });

  const send = (events: DecodedEvent[]) =>
    clients.producer.send({
      topic: topics.TOPIC_DECODED,
      messages: events.map((e) => ({ key: e.docker.Actor.ID, value: clients.codec.encode("DecodedEvent", e) })),
    });
  const of = (actor: string) => alerts.filter((a) => a.data.docker.Actor.ID === actor);
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${service.healthPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`dockwatch_rules_${name} `));
    return line === undefined ? undefined : Number(line.split(" ")[1]);
  };
  const nano = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
  // 5 exits within one 60 s window: the crash-loop correlation (130970).
  const crashLoop = (actor: string, t0: number) =>
    [0, 1, 2, 3, 4].map((i) => decodedEvent({ type: "container", action: "die", id: actor, attributes: { name: actor, exitCode: "1" }, timeNano: nano(t0 + i * 1000) }));

  it("keeps alerting per event while Redis is down, marks what it could not correlate, and correlates again once Redis is back", async () => {
    await redis.stop();
    const started = `${run}-started`;
    // A collector's heartbeat ahead of the start in the partition (one partition
    // here, so the order is certain): the host watch needs Redis for it.
    await send([
      decodedEvent({ type: "dockwatch", action: "heartbeat", id: `${run}-engine`, timeNano: nano(1_700_000_000_000) }),
      decodedEvent({ type: "container", action: "start", id: started, attributes: { name: "started" }, timeNano: nano(1_700_000_001_000) }),
    ]);
    await waitFor("the start's alert with Redis down", async () => of(started).length > 0, 60_000);
    assert.deepEqual(of(started).map((a) => a.rule.id), ["87903"]);
    // No frequency rule counts a start: nothing was skipped for it.
    assert.equal(of(started)[0]!.dockwatch.correlation, "ok");

    const looping = `${run}-looping`;
    await send(crashLoop(looping, 1_700_000_040_000));
    await waitFor("5 exit alerts with Redis down", async () => of(looping).length >= 5, 60_000);
    assert.deepEqual(of(looping).map((a) => `${a.rule.id} ${a.dockwatch.correlation}`), Array(5).fill("87924 unavailable"));
    assert.equal(await metric("correlation_available"), 0);
    assert.ok((await metric("correlation_skipped_total"))! >= 5);

    await redis.start();
    await waitFor("correlation available again", async () => (await metric("correlation_available")) === 1, 60_000);
    const again = `${run}-again`;
    await send(crashLoop(again, 1_700_000_100_000));
    await waitFor("the crash-loop correlation after Redis came back", async () => of(again).some((a) => a.rule.id === "130970"), 60_000);
    assert.ok(of(again).every((a) => a.dockwatch.correlation === "ok"));
    // What could not be counted during the outage gave no correlation alert (rather than a wrong one).
    assert.equal(of(looping).filter((a) => a.rule.id === "130970").length, 0);
  });

  it("a Redis that hangs (connection open, no answers) degrades the same way, and correlation resumes when it answers again", async () => {
    redis.freeze();
    try {
      const hung = `${run}-hung`;
      await send(crashLoop(hung, 1_700_000_160_000));
      await waitFor("5 exit alerts with Redis hung", async () => of(hung).length >= 5, 60_000);
      assert.deepEqual(of(hung).map((a) => `${a.rule.id} ${a.dockwatch.correlation}`), Array(5).fill("87924 unavailable"));
      assert.equal(await metric("correlation_available"), 0);
    } finally {
      redis.thaw();
    }
    const after = `${run}-after-hang`;
    await waitFor("the crash-loop correlation once Redis answers again", async () => {
      // Each try is a new window (a minute apart), so a try made while still paused cannot hide a later one.
      if (!of(after).some((a) => a.rule.id === "130970")) await send(crashLoop(after, 1_700_000_220_000 + 60_000 * of(after).length));
      return of(after).some((a) => a.rule.id === "130970");
    }, 90_000, 3_000);
    assert.equal(await metric("correlation_available"), 1);
  });
});

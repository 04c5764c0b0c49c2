import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DecodedEvent } from "@dockwatch/contracts";
import { DLQ_HEADERS, createPipelineClients } from "@dockwatch/kafka";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { decodedEvent } from "@dockwatch/rule-engine/testing";
import { loadRulesConfig, startRules } from "../../src/index.js";

// Nothing on the decoded topic can stall the rules stage: garbage, truncated
// Avro, a record of another schema and valid Avro with absurd fields each go
// to the DLQ with a reason, and the event after them still alerts.

const logger = createLogger("rules-hostile-test", process.env.LOG_LEVEL ?? "warn");

describe("hostile messages on the decoded topic (real Kafka and Redis)", () => {
  const run = unique("rules-hostile");
  const env = {
    ...infra.kafkaEnv,
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: `${run}:`,
    TOPIC_DECODED: `${run}.decoded`,
    TOPIC_ALERTS: `${run}.alerts`,
    TOPIC_DLQ: `${run}.dlq`,
    TOPIC_SCHEMAS: `${run}.schemas`,
    RULES_CONSUMER_GROUP: `${run}-rules`,
    ALERTS_FORMAT: "json",
    HEALTH_PORT: "0",
  };
  const config = loadRulesConfig(env);
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DecodedEvent", "DockerEvent"], topics: [{ topic: env.TOPIC_DECODED }] });
  const alerts: Array<{ data: { docker: { Actor: { ID: string } } } }> = [];
  const dead: Array<{ value: Buffer; headers: Record<string, string> }> = [];
  const reader = clients.kafka.consumer({ groupId: `${run}-reader` });
  let service: RunningService;

  before(async () => {
    for (const c of clients.components) await c.start();
    service = await startRules(config, logger);
    await reader.connect();
    await reader.subscribe({ topics: [env.TOPIC_ALERTS, env.TOPIC_DLQ], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === env.TOPIC_ALERTS) alerts.push(JSON.parse(message.value!.toString()));
        else dead.push({ value: message.value!, headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])) });
      },
    });
  });
  after(async () => {
    await reader.disconnect();
    await service?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
  });

  it("dead-letters each with a reason, and the event after them alerts", async () => {
    const event = (name: string): DecodedEvent => decodedEvent({ type: "container", action: "start", id: `${run}-${name}`, attributes: { name } });
    const encode = (e: DecodedEvent) => clients.codec.encode("DecodedEvent", e);
    const hostile: Array<{ what: string; value: Buffer; reason: string }> = [
      { what: "random bytes", value: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]), reason: "not-avro" },
      { what: "JSON", value: Buffer.from(JSON.stringify({ id: "poison" })), reason: "not-avro" },
      { what: "truncated Avro", value: encode(event("cut")).subarray(0, 50), reason: "malformed" },
      { what: "another topic's schema (a DockerEvent)", value: Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from(clients.codec.fingerprint("DockerEvent"), "hex"), Buffer.alloc(20)]), reason: "incompatible-schema" },
      { what: "valid Avro, timestamp that is no date", value: encode({ ...event("never"), timestamp: "never" }), reason: "invalid-value" },
      { what: "valid Avro, absurd docker.time", value: encode({ ...event("soon"), docker: { ...event("soon").docker, time: "soon" } }), reason: "invalid-value" },
    ];
    await clients.producer.send({
      topic: env.TOPIC_DECODED,
      acks: -1,
      messages: [...hostile.map((h) => ({ key: run, value: h.value })), { key: run, value: encode(event("after")) }],
    });
    await waitFor("the event after the hostile ones alerts", async () => alerts.some((a) => a.data.docker.Actor.ID === `${run}-after`));
    await waitFor("every hostile message dead-lettered", async () => dead.length >= hostile.length);
    assert.equal(dead.length, hostile.length);
    for (const h of hostile) {
      const letter = dead.find((d) => d.value.equals(h.value));
      assert.ok(letter, `${h.what} is in the DLQ`);
      assert.equal(letter.headers[DLQ_HEADERS.stage], "rules", h.what);
      assert.equal(letter.headers[DLQ_HEADERS.reason], h.reason, h.what);
    }
    assert.equal(alerts.filter((a) => a.data.docker.Actor.ID !== `${run}-after`).length, 0, "no alert from a hostile message");
  });
});

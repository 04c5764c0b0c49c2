import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { kafkaSettings } from "@dockwatch/config";
import { DLQ_HEADERS, createKafka, createProducer, deadLetter, ensureTopics } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import type { KafkaMessage } from "kafkajs";
import { dlqList, dlqRedrive } from "../../src/commands/dlq.js";
import { REDRIVEN_HEADER } from "../../src/dlq/letters.js";

// `dockwatch dlq` on the real Kafka, in a DLQ topic of its own: the listing
// counts by stage and reason, and a re-drive of one reason puts exactly those
// records (original bytes) back on their source topic.

const logger = createLogger("dlq-cli-test", "silent");

describe("dockwatch dlq (real Kafka)", () => {
  const run = unique("dlq-cli");
  const env = { ...infra.kafkaEnv, TOPIC_DLQ: `${run}.dlq` };
  const settings = kafkaSettings(env, "dlq-test");
  const kafka = createKafka(settings, logger);
  const producer = createProducer(kafka);
  const source = { alerts: `${run}.alerts`, raw: `${run}.raw` };

  before(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: env.TOPIC_DLQ }, { topic: source.alerts }, { topic: source.raw }], { durability: settings.durability });
    await admin.disconnect();
    await producer.connect();
    const bad = (topic: string, stage: string, reason: string, n: number) =>
      deadLetter({ topic, partition: 0, offset: String(n), key: Buffer.from("k"), value: Buffer.from(`${stage}-${reason}-${n}`), headers: {} }, env.TOPIC_DLQ, stage, reason, `bad ${n}`);
    const letters = [bad(source.alerts, "sink", "invalid-value", 0), bad(source.raw, "decoder", "not-avro", 1), bad(source.alerts, "sink", "es-rejected", 2), bad(source.alerts, "sink", "invalid-value", 3)];
    await producer.send({ topic: env.TOPIC_DLQ, acks: -1, messages: letters.map((l) => ({ key: l.key, value: l.value, headers: l.headers })) });
  });
  after(async () => {
    await producer.disconnect();
  });

  it("lists by stage and reason, and re-drives one reason to its source topic", async () => {
    const lines: string[] = [];
    await dlqList({}, { env, write: (l) => lines.push(l) });
    assert.equal(lines[0], `4 dead letter(s) in ${env.TOPIC_DLQ}`);
    assert.match(lines[1]!, /^\s+2\s+sink\s+invalid-value$/);
    assert.equal(lines.filter((l) => /^\d+@\d+ {2}/.test(l)).length, 4, "one line per dead letter");

    const out: string[] = [];
    await dlqRedrive({ stage: "sink", reason: "invalid-value" }, { env, write: (l) => out.push(l) });
    assert.deepEqual(out, [`dlq redrive: sent 2 to ${source.alerts}`]);

    const consumer = kafka.consumer({ groupId: unique("reader") });
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [source.alerts, source.raw], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    try {
      await waitFor("the re-driven records", async () => seen.length >= 2);
      await new Promise((r) => setTimeout(r, 500)); // and no more than those
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(seen.map((m) => m.value!.toString()).sort(), ["sink-invalid-value-0", "sink-invalid-value-3"]);
    assert.ok(seen.every((m) => m.headers?.[DLQ_HEADERS.reason] === undefined && String(m.headers?.[REDRIVEN_HEADER]).startsWith(`${env.TOPIC_DLQ}/`)));
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createCodec, loadSchemas, parseSchema } from "@dockwatch/codec";
import { kafkaSettings } from "@dockwatch/config";
import { DependencyError, RecordError } from "@dockwatch/errors";
import { createLogger } from "@dockwatch/runtime";
import { startTelemetry, type Telemetry } from "@dockwatch/telemetry";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import type { KafkaMessage, Message } from "kafkajs";
import { DLQ_HEADERS, KafkaSchemaStore, createKafka, createPipelineClients, createProducer, createSessionProducer, createStage, ensureTopics } from "../../src/index.js";

// The stage runner against the real local Kafka: good records flow, bad ones
// are dead-lettered with their reason, the partition never stalls, offsets are
// committed after the produce, and a writer schema known only to the schema
// topic is resolved by a reader that has never seen it.

const logger = createLogger("stage-test", process.env.LOG_LEVEL ?? "warn");

interface Raw {
  kind: string;
  agent: { id: string; name: string; ip: string };
  event: { Action: string } | null;
  receivedAtNano: bigint;
}

function rawEvent(action: string, receivedAtNano: bigint) {
  return {
    kind: "engine",
    agent: { id: "001", name: "a", ip: "127.0.0.1" },
    engine: { id: "E", hostname: "h", version: "20.10", apiVersion: "1.41" },
    receivedAtNano,
    event: {
      Type: "container",
      Action: action,
      Actor: { ID: "c1", Attributes: { name: "x" } },
      scope: "local",
      time: 1538752533n,
      timeNano: 1538752533877226210n,
      status: null,
      id: null,
      from: null,
    },
    raw: null,
    status: null,
    gap: null,
    inspect: null,
  };
}

async function readAll(kafka: ReturnType<typeof createKafka>, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: unique("reader") });
  const seen: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
  try {
    await waitFor(`${count} records in ${topic}`, async () => seen.length >= count, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // and no more than that
    return seen;
  } finally {
    await consumer.disconnect();
  }
}

describe("stage runner on the real Kafka", () => {
  const run = unique("stage");
  const settings = kafkaSettings(
    {
      ...infra.kafkaEnv,
      TOPIC_SCHEMAS: `${run}.schemas`,
      TOPIC_DLQ: `${run}.dlq`,
    },
    "stage-test",
  );
  const input = `${run}.in`;
  const output = `${run}.out`;
  const groupId = `${run}-group`;
  const clients = createPipelineClients({ settings, logger, writes: ["DockerEvent"], topics: [{ topic: input, numPartitions: 1 }, { topic: output, numPartitions: 1 }] });

  let telemetry: Telemetry;

  before(async () => {
    telemetry = await startTelemetry("stage-test", {});
    for (const c of clients.components) await c.start();
  });
  after(async () => {
    for (const c of [...clients.components].reverse()) await c.stop();
    await telemetry.shutdown();
  });

  it("transforms good records, dead-letters bad ones with reasons, and commits past all of them", async () => {
    // A writer with a newer schema, published only to the schema topic.
    const newerJson = loadSchemas().get("DockerEvent")!.schema({ exportAttrs: true }) as unknown as { fields: object[] };
    newerJson.fields.push({ name: "collectorVersion", type: ["null", "string"], default: null });
    const writerStore = new KafkaSchemaStore({ kafka: clients.kafka, producer: clients.producer, topic: settings.topics.schemas, logger });
    const newerWriter = createCodec({ store: writerStore, types: new Map([["DockerEvent", parseSchema(newerJson)]]) });
    await newerWriter.register("DockerEvent");

    const messages = [
      { key: "c1", value: clients.codec.encode("DockerEvent", rawEvent("start", 1n)) },
      { key: "c1", value: Buffer.from("this is not avro") },
      { key: "c1", value: clients.codec.encode("DockerEvent", rawEvent("explode", 2n)) },
      { key: "c1", value: newerWriter.encode("DockerEvent", { ...rawEvent("stop", 3n), collectorVersion: "9.9.9" }) },
      { key: "c1", value: Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 0xee), Buffer.from([0])]) },
    ];
    const producer = createProducer(clients.kafka);
    await producer.connect();
    await producer.send({ topic: input, acks: -1, messages });
    await producer.disconnect();

    const stage = createStage<Raw, Raw>({
      kafka: clients.kafka,
      producer: clients.producer,
      groupId,
      inputTopic: input,
      logger,
      logic: {
        stage: "test",
        outputTopic: output,
        dlqTopic: settings.topics.dlq,
        decode: (b) => clients.codec.decode<Raw>("DockerEvent", b),
        transform: (raw, record) => {
          if (raw.event?.Action === "explode") throw new RecordError("transform-failed", "transform refused this event");
          return [{ key: record.key, value: raw }];
        },
        encode: (v) => clients.codec.encode("DockerEvent", v),
      },
    });
    await stage.start();
    try {
      const out = await readAll(clients.kafka, output, 2);
      assert.equal(out.length, 2);
      const decoded = await Promise.all(out.map((m) => clients.codec.decode<Raw>("DockerEvent", m.value!)));
      assert.deepEqual(decoded.map((d) => d.event?.Action), ["start", "stop"], "good records in order, including the newer writer's");
      assert.match(String(out[0]!.headers?.traceparent), /^00-/, "trace context carried to the output");

      const dlq = await readAll(clients.kafka, settings.topics.dlq, 3);
      const reasons = dlq.map((m) => [String(m.headers?.[DLQ_HEADERS.reason]), String(m.headers?.[DLQ_HEADERS.offset])]);
      assert.deepEqual(reasons, [["not-avro", "1"], ["transform-failed", "2"], ["unknown-schema", "4"]]);
      for (const m of dlq) {
        assert.equal(String(m.headers?.[DLQ_HEADERS.stage]), "test");
        assert.equal(String(m.headers?.[DLQ_HEADERS.topic]), input);
        assert.equal(String(m.headers?.[DLQ_HEADERS.partition]), "0");
      }
      assert.equal(dlq[0]!.value!.toString(), "this is not avro", "the original bytes");

      const admin = clients.kafka.admin();
      await admin.connect();
      const committed = await waitFor("the committed offset", async () => {
        const [t] = await admin.fetchOffsets({ groupId, topics: [input] });
        return t?.partitions[0]?.offset === "5" ? "5" : undefined;
      });
      await admin.disconnect();
      assert.equal(committed, "5", "offsets committed past every record, bad ones included");
    } finally {
      await stage.stop();
    }
  });

  /** A stage on its own topics whose transform is `transform`, with short retry policies. */
  async function failingStage(name: string, transform: (raw: Raw) => void) {
    const topics = { input: `${run}.${name}.in`, output: `${run}.${name}.out`, groupId: `${run}-${name}` };
    const admin = clients.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: topics.input, numPartitions: 1 }, { topic: topics.output, numPartitions: 1 }], { durability: settings.durability });
    await admin.disconnect();
    const stage = createStage<Raw, Raw>({
      kafka: clients.kafka,
      producer: clients.producer,
      groupId: topics.groupId,
      inputTopic: topics.input,
      logger,
      retry: { outage: { initialMs: 20, maxMs: 100 }, unknown: { initialMs: 20, maxMs: 100, maxAttempts: 3 } },
      logic: {
        stage: "test",
        outputTopic: topics.output,
        dlqTopic: settings.topics.dlq,
        decode: (b) => clients.codec.decode<Raw>("DockerEvent", b),
        transform: (raw, record) => {
          transform(raw);
          return [{ key: record.key, value: raw }];
        },
        encode: (v) => clients.codec.encode("DockerEvent", v),
      },
    });
    const producer = createProducer(clients.kafka);
    await producer.connect();
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: [
        { key: "c1", value: clients.codec.encode("DockerEvent", rawEvent("start", 10n)) },
        { key: "c1", value: clients.codec.encode("DockerEvent", rawEvent("flaky", 11n)) },
      ],
    });
    await producer.disconnect();
    return { ...topics, stage };
  }

  const offsetsOf = async (topic: string) => {
    const admin = clients.kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  };

  it("holds and retries a batch on a retryable error (a dependency down), then delivers it: nothing dead-lettered", async () => {
    let failures = 0;
    const dlqBefore = await offsetsOf(settings.topics.dlq);
    const { output, stage } = await failingStage("outage", (raw) => {
      if (raw.event?.Action === "flaky" && failures < 4) {
        failures += 1;
        throw new DependencyError("redis-unavailable", "redis down");
      }
    });
    await stage.start();
    try {
      const out = await readAll(clients.kafka, output, 2);
      assert.equal(out.length, 2, "both records delivered once the dependency is back");
      assert.equal(failures, 4, "more attempts than the unknown-error bound of 3: an outage is retried for as long as it lasts");
      assert.equal(await offsetsOf(settings.topics.dlq), dlqBefore, "nothing dead-lettered");
    } finally {
      await stage.stop();
    }
  });

  it("retries an unknown error (a bug) a bounded number of times, then reports it fatal and stops: never dead-lettered", async () => {
    let attempts = 0;
    const dlqBefore = await offsetsOf(settings.topics.dlq);
    const { input, output, groupId, stage } = await failingStage("bug", (raw) => {
      if (raw.event?.Action === "flaky") {
        attempts += 1;
        (raw as unknown as { missing: { field: string } }).missing.field.toString();
      }
    });
    const reported: Array<{ err: unknown; message: string }> = [];
    await stage.start({ fatal: (err, message) => void reported.push({ err, message }) });
    try {
      await waitFor("the stage to report its failure", async () => reported.length > 0, 60_000);
      await new Promise((r) => setTimeout(r, 500)); // and nothing after that
      assert.equal(reported.length, 1, "reported once");
      assert.ok(reported[0]!.err instanceof TypeError, String(reported[0]!.err));
      assert.match(reported[0]!.message, new RegExp(`^${input.replace(/\./g, "\\.")}/0@0\\.\\.1 failed \\(unknown\\) after 3 attempt`));
      assert.equal(attempts, 3, "the unknown-error policy's attempts, then no more");
      assert.equal(stage.ready?.(), false, "a failed stage is not ready");
      assert.equal(await offsetsOf(settings.topics.dlq), dlqBefore, "the bug did not pass for a bad record");
      assert.equal(await offsetsOf(output), 0, "the failed batch produced nothing");
      const admin = clients.kafka.admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
      await admin.disconnect();
      assert.equal(committed?.partitions[0]?.offset, "-1", "the batch is left uncommitted for the next run");
    } finally {
      await stage.stop();
    }
  });

  it("dead-letters an output record the broker refuses (over the output topic's max.message.bytes), renews the producer, and delivers the records around it", async () => {
    const input = `${run}.refused.in`;
    const output = `${run}.refused.out`;
    const admin = clients.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: input, numPartitions: 1 },
        { topic: output, numPartitions: 2, configEntries: [{ name: "max.message.bytes", value: "4000" }] },
      ],
    });
    await admin.disconnect();
    const dlqBefore = await offsetsOf(settings.topics.dlq);
    const producer = createSessionProducer(clients.kafka, logger);
    await producer.start();
    await clients.producer.send({
      topic: input,
      acks: -1,
      messages: ["a", "huge", "b", "c"].map((action, i) => ({ key: `k${i}`, value: clients.codec.encode("DockerEvent", rawEvent(action, BigInt(i + 1))) })),
    });
    const stage = createStage<Raw, Raw>({
      kafka: clients.kafka,
      producer,
      groupId: `${run}-refused`,
      inputTopic: input,
      logger,
      logic: {
        stage: "test",
        outputTopic: output,
        dlqTopic: settings.topics.dlq,
        decode: (b) => clients.codec.decode<Raw>("DockerEvent", b),
        // "huge" becomes a record the output topic refuses (10 KB over its 4 KB limit).
        transform: (raw, record) => [{ key: record.key, value: raw.event?.Action === "huge" ? { ...raw, agent: { ...raw.agent, name: "x".repeat(10_000) } } : raw }],
        encode: (v) => clients.codec.encode("DockerEvent", v),
      },
    });
    await stage.start();
    try {
      const out = await readAll(clients.kafka, output, 3);
      const actions = await Promise.all(out.map(async (m) => (await clients.codec.decode<Raw>("DockerEvent", m.value!)).event!.Action));
      // At least once: the broker may have written another partition's part of the refused
      // request, which the one-at-a-time resend (a new session, no dedup) writes again.
      assert.deepEqual([...new Set(actions)].sort(), ["a", "b", "c"]);
      assert.ok(!actions.includes("huge"));
      const letters = (await readAll(clients.kafka, settings.topics.dlq, dlqBefore + 1)).filter((m) => m.headers?.[DLQ_HEADERS.reason]?.toString() === "kafka-record-rejected");
      assert.equal(letters.length, 1);
      assert.equal(letters[0]!.headers?.[DLQ_HEADERS.topic]?.toString(), output);
      assert.ok(producer.sessions >= 2, "a new idempotent session after the refusal");
    } finally {
      await stage.stop();
      await producer.stop();
    }
  });

  /** A stage copying `input` to `output` (DockerEvent as it is), its producer watched: `onSend` gets the records of each send. */
  function copyingStage(t: { input: string; output: string; groupId: string }, onSend: (messages: Message[]) => void, extra: { lingerMs?: number } = {}) {
    const watched = {
      ...clients.producer,
      sendBatch: (batch: Parameters<typeof clients.producer.sendBatch>[0]) => {
        onSend(batch.topicMessages!.flatMap((tm) => tm.messages));
        return clients.producer.sendBatch(batch);
      },
    };
    return createStage<Raw, Raw>({
      kafka: clients.kafka,
      producer: watched,
      groupId: t.groupId,
      inputTopic: t.input,
      logger,
      ...extra,
      logic: {
        stage: "test",
        outputTopic: t.output,
        dlqTopic: settings.topics.dlq,
        decode: (b) => clients.codec.decode<Raw>("DockerEvent", b),
        transform: (raw, record) => [{ key: record.key, value: raw }],
        encode: (v) => clients.codec.encode("DockerEvent", v),
      },
    });
  }

  it("handles the partitions of a fetch as one round: one produce for several partitions, each partition in order and committed", async () => {
    const topics = { input: `${run}.round.in`, output: `${run}.round.out`, groupId: `${run}-round` };
    const keys = ["k0", "k1", "k2", "k3"];
    const perKey = 40;
    const admin = clients.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: topics.input, numPartitions: 4 }, { topic: topics.output, numPartitions: 4 }], { durability: settings.durability });
    // One partition per key, so a fetch holds a batch of each.
    const producer = createProducer(clients.kafka);
    await producer.connect();
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: keys.flatMap((key, p) => Array.from({ length: perKey }, (_, i) => ({ key, partition: p, value: clients.codec.encode("DockerEvent", rawEvent(`${key}-${i}`, BigInt(i))) }))),
    });
    await producer.disconnect();
    // The stage's producer, watched: which keys each send carried.
    const sends: string[][] = [];
    const stage = copyingStage(topics, (messages) => sends.push([...new Set(messages.map((m) => String(m.key)))]));
    await stage.start();
    try {
      const out = await readAll(clients.kafka, topics.output, keys.length * perKey);
      assert.equal(out.length, keys.length * perKey, "every record once");
      const actions = await Promise.all(out.map(async (m) => (await clients.codec.decode<Raw>("DockerEvent", m.value!)).event!.Action));
      for (const key of keys) {
        const mine = actions.filter((a) => a.startsWith(`${key}-`));
        assert.deepEqual(mine, Array.from({ length: perKey }, (_, i) => `${key}-${i}`), `${key}'s records in their order`);
      }
      assert.ok(sends.some((keysOfSend) => keysOfSend.length > 1), `a send carried several partitions' records (sends: ${JSON.stringify(sends)})`);
      const committed = await waitFor("every partition committed", async () => {
        const [t] = await admin.fetchOffsets({ groupId: topics.groupId, topics: [topics.input] });
        const offsets = (t?.partitions ?? []).map((p) => p.offset).sort();
        return offsets.length === keys.length && offsets.every((o) => o === String(perKey)) ? offsets : undefined;
      });
      assert.deepEqual(committed, keys.map(() => String(perKey)));
    } finally {
      await stage.stop();
      await admin.disconnect();
    }
  });

  it("lingers: records that trickle in while a round's linger runs share the next round (one produce), none lost", async () => {
    const topics = { input: `${run}.linger.in`, output: `${run}.linger.out`, groupId: `${run}-linger` };
    const admin = clients.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: topics.input, numPartitions: 1 }, { topic: topics.output, numPartitions: 1 }], { durability: settings.durability });
    await admin.disconnect();
    const sends: number[] = [];
    // Far longer than producing the trickle below takes, so the test does not hang on the machine's speed.
    const stage = copyingStage(topics, (messages) => sends.push(messages.length), { lingerMs: 3_000 });
    const producer = createProducer(clients.kafka);
    await producer.connect();
    const one = (i: number) => producer.send({ topic: topics.input, acks: -1, messages: [{ key: "k", value: clients.codec.encode("DockerEvent", rawEvent(`t-${i}`, BigInt(i))) }] });
    await stage.start();
    try {
      await one(0);
      await waitFor("the first record's round", async () => sends.length === 1);
      // Ten records, one send each, while the first round's linger runs: without it each would be a round of its own.
      for (let i = 1; i <= 10; i++) await one(i);
      const out = await readAll(clients.kafka, topics.output, 11);
      assert.equal(out.length, 11, "every record once");
      assert.deepEqual(sends, [1, 10], "the trickle went out as one round");
    } finally {
      await producer.disconnect();
      await stage.stop();
    }
  });

  it("ensureTopics is idempotent", async () => {
    const admin = clients.kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: input }, { topic: input }], { durability: settings.durability });
    await ensureTopics(admin, [{ topic: input }], { durability: settings.durability });
    const meta = await admin.fetchTopicMetadata({ topics: [input] });
    await admin.disconnect();
    assert.equal(meta.topics[0]!.partitions.length, 1, "an existing topic is left as it is");
  });
});

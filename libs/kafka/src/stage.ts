import { chunkBySize, type Component, type Logger, type Metrics } from "@dockwatch/runtime";
import type { Kafka, Message, Producer, TopicMessages } from "kafkajs";
import { createBatchConsumer, type BatchConsumer } from "./batch-consumer.js";
import { processRecord, type StageLogic } from "./plan.js";
import type { OutputRecord } from "./records.js";

export interface StageOptions<In, Out> {
  kafka: Kafka;
  producer: Producer;
  groupId: string;
  inputTopic: string;
  logic: StageLogic<In, Out>;
  logger: Logger;
  metrics?: Metrics;
  partitionsConsumedConcurrently?: number;
  /**
   * Upper bound of one produce request. A stage's output can be larger than
   * its input (a decoded record is 2-3 times its raw one), and one request
   * over the broker's message.max.bytes (1 MiB by default) would fail on every
   * retry; so a batch's output goes out as consecutive sends under this size.
   */
  maxSendBytes?: number;
}

/** Approximate wire size of a record (key, value, headers, framing). */
export function recordBytes(r: OutputRecord): number {
  const size = (v: unknown) => (v === null || v === undefined ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v)));
  let n = 64 + size(r.key) + r.value.length;
  for (const [k, v] of Object.entries(r.headers)) n += k.length + size(v);
  return n;
}

/** Splits records, in order, into consecutive chunks of at most `maxBytes` (a larger record goes alone). */
export function chunkByBytes(records: OutputRecord[], maxBytes: number): OutputRecord[][] {
  return chunkBySize(records, recordBytes, maxBytes);
}

/** Groups output records into one acks=all send per batch (kafkajs sendBatch). */
export function toTopicMessages(records: OutputRecord[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    const list = byTopic.get(r.topic) ?? [];
    list.push({ key: r.key, value: r.value, headers: r.headers });
    byTopic.set(r.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/**
 * consume -> pure transform -> produce, as one consumer-group member. A record
 * whose decode or transform fails goes to the DLQ with the reason and the
 * partition moves on; offsets are committed only after the produce is acked.
 */
export function createStage<In, Out>(opts: StageOptions<In, Out>): BatchConsumer {
  const { logic, logger, metrics, producer } = opts;
  return createBatchConsumer({
    kafka: opts.kafka,
    groupId: opts.groupId,
    topic: opts.inputTopic,
    logger,
    ...(opts.partitionsConsumedConcurrently ? { partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently } : {}),
    async handleBatch(records) {
      const out: OutputRecord[] = [];
      let dead = 0;
      for (const record of records) {
        const outcome = await processRecord(logic, record);
        if (outcome.kind === "output") {
          out.push(...outcome.records);
        } else {
          dead += 1;
          out.push(outcome.record);
          logger.warn(
            { topic: record.topic, partition: record.partition, offset: record.offset, reason: outcome.reason },
            `${logic.stage}: dead-lettered ${record.topic}/${record.partition}@${record.offset}: ${outcome.error}`,
          );
        }
      }
      // Sequential sends keep per-partition order (one request in flight); all are acked before the commit.
      for (const chunk of chunkByBytes(out, opts.maxSendBytes ?? 900_000)) {
        await producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(chunk) });
      }
      metrics?.inc("records_in_total", "records consumed", records.length);
      metrics?.inc("records_out_total", "records produced to the output topic", out.length - dead);
      metrics?.inc("dead_letters_total", "records sent to the dead-letter topic", dead);
    },
  });
}

/** The producer as a lifecycle component (connect on start, flush and disconnect on stop). */
export function producerComponent(producer: Producer): Component {
  let connected = false;
  producer.on(producer.events.CONNECT, () => (connected = true));
  producer.on(producer.events.DISCONNECT, () => (connected = false));
  return {
    name: "producer",
    ready: () => connected,
    start: () => producer.connect(),
    stop: () => producer.disconnect(),
  };
}

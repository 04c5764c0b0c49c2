import { chunkBySize, type Component, type Logger, type Metrics } from "@dockwatch/runtime";
import type { Kafka, Message, Producer, TopicMessages } from "kafkajs";
import type { RetrySettings } from "@dockwatch/config";
import { createBatchConsumer, type BatchConsumer } from "./batch-consumer.js";
import { coalesce } from "./coalesce.js";
import { errorCode } from "@dockwatch/errors";
import { isRefusedRecord, kafkaCall, needsNewSession } from "./errors.js";
import { processBatch, type StageLogic } from "./plan.js";
import { deadLetterHeaders, type OutputRecord, type SourceRecord } from "./records.js";
import type { SessionProducer } from "./session-producer.js";

export interface StageOptions<In, Out> {
  kafka: Kafka;
  /** A SessionProducer is renewed after the broker refused a record (kafkajs's idempotent session is then out of step). */
  producer: Producer | SessionProducer;
  groupId: string;
  inputTopic: string;
  logic: StageLogic<In, Out>;
  logger: Logger;
  metrics?: Metrics;
  /**
   * Partition batches of one fetch handled at once, as one round (coalesce):
   * their records transformed together, their outputs produced as one
   * request, their offsets committed as one. Default STAGE_CONCURRENCY.
   */
  partitionsConsumedConcurrently?: number;
  /** A partition's share of one fetch (the batch consumer's maxBytesPerPartition): with the concurrency, what one round holds in memory. */
  fetchPartitionBytes?: number;
  /** The shortest time from the start of one round to the next fetch (the batch consumer's lingerMs). */
  lingerMs?: number;
  /**
   * Upper bound of one produce request. A stage's output can be larger than
   * its input (a decoded record is 2-3 times its raw one), and one request
   * over the broker's message.max.bytes (1 MiB by default) would fail on every
   * retry; so a batch's output goes out as consecutive sends under this size.
   */
  maxSendBytes?: number;
  /** How a failed batch is retried (the batch consumer's rule); defaults to retrySettings' defaults. */
  retry?: Pick<RetrySettings, "outage" | "unknown">;
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

/** What a refused record's dead letter keeps of its value (the topic would refuse it whole). */
const REFUSED_VALUE_BYTES = 65_536;

/**
 * The dead letter of an output record the broker refused (too large for the
 * output topic, invalid): its key, the head of its value, its headers, and
 * why. `dlqTopic` null: the refusal is thrown (the caller has no DLQ).
 */
export function refusedLetter(record: OutputRecord, dlqTopic: string, stage: string, error: string): OutputRecord {
  return {
    topic: dlqTopic,
    key: record.key,
    value: record.value.subarray(0, REFUSED_VALUE_BYTES),
    headers: {
      ...record.headers,
      ...deadLetterHeaders({ stage, reason: "kafka-record-rejected", error, source: { topic: record.topic } }),
      "dockwatch.original.bytes": String(record.value.length),
    },
  };
}

export interface SendOptions {
  /** Where a record the broker refuses goes instead (its dead letter); without it, the refusal is thrown. */
  refused?: (record: OutputRecord, error: string) => OutputRecord;
}

/**
 * Produces `records` with acks=all as consecutive sends of at most `maxBytes`
 * (sequential, so per-partition order holds with one request in flight). A
 * broker failure is a DependencyError("kafka-unavailable"): the batch is held.
 * A chunk the broker refuses (RecordError kafka-record-rejected) is sent again
 * one record at a time, each refused record replaced by `refused`'s dead
 * letter; a SessionProducer is renewed first, since after a refusal kafkajs's
 * sequence numbers no longer match the broker's.
 */
export async function sendRecords(producer: Producer | SessionProducer, records: OutputRecord[], maxBytes = 900_000, options: SendOptions = {}): Promise<void> {
  const send = async (chunk: OutputRecord[]) => {
    try {
      await kafkaCall(`producing ${chunk.length} record(s)`, () => producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(chunk) }));
    } catch (err) {
      if (needsNewSession(err) && "renew" in producer) await producer.renew(errorCode(err)).catch(() => undefined);
      throw err;
    }
  };
  for (const chunk of chunkByBytes(records, maxBytes)) {
    try {
      await send(chunk);
      continue;
    } catch (err) {
      if (!options.refused || !isRefusedRecord(err)) throw err;
    }
    for (const record of chunk) {
      try {
        await send([record]);
      } catch (err) {
        if (!isRefusedRecord(err)) throw err;
        await send([options.refused(record, (err as Error).message)]);
      }
    }
  }
}

/** The default of StageOptions.partitionsConsumedConcurrently: more than the partitions one member usually has. */
export const STAGE_CONCURRENCY = 16;

/** The default linger of every consuming stage (DECODER_LINGER, RULES_LINGER, SINK_LINGER): see BatchConsumerOptions.lingerMs. */
export const STAGE_LINGER = "30ms";

/**
 * consume -> pure transform -> produce, as one consumer-group member, a fetch
 * at a time: the partition batches of a fetch form one round (coalesce),
 * processed together (processBatch: one span per record, in slices;
 * logic.transformBatch) and produced together. A record whose decode,
 * transform or encode throws a RecordError goes to the DLQ with its code as
 * the reason and the partition moves on; any other failure fails the round,
 * and each of its batches is the batch consumer's to retry (or to stop the
 * service on). Offsets are committed only after the produce is acked.
 */
export function createStage<In, Out>(opts: StageOptions<In, Out>): BatchConsumer {
  const { logic, logger, metrics, producer } = opts;
  // Partitions' order holds: a round keeps each batch's records in order, and rounds run one at a time.
  const handleRound = coalesce<SourceRecord>(({ batches }) => handleRoundRecords(batches.flat()));
  return createBatchConsumer({
    kafka: opts.kafka,
    groupId: opts.groupId,
    topic: opts.inputTopic,
    logger,
    partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? STAGE_CONCURRENCY,
    ...(opts.fetchPartitionBytes !== undefined ? { maxBytesPerPartition: opts.fetchPartitionBytes } : {}),
    ...(opts.lingerMs !== undefined ? { lingerMs: opts.lingerMs } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    handleBatch: (records, { signal }) => handleRound(records, signal),
  });

  async function handleRoundRecords(records: SourceRecord[]): Promise<void> {
    const out: OutputRecord[] = [];
    let dead = 0;
    const outcomes = await processBatch(logic, records);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      const outcome = outcomes[i]!;
      if (outcome.kind === "output") {
        out.push(...outcome.records);
      } else {
        dead += 1;
        out.push(outcome.record);
        logger.warn(
          { err: outcome.cause, stage: logic.stage, topic: record.topic, partition: record.partition, offset: record.offset, reason: outcome.reason },
          `dead-lettered ${record.topic}/${record.partition}@${record.offset} (${outcome.reason}): ${outcome.error}`,
        );
      }
    }
    // All are acked before the commit; a record the broker refuses is dead-lettered, not retried as is.
    let refused = 0;
    await sendRecords(producer, out, opts.maxSendBytes, {
      refused: (record, error) => {
        refused += 1;
        logger.error({ topic: record.topic, bytes: record.value.length, stage: logic.stage }, `the broker refused an output record; dead-lettered (kafka-record-rejected): ${error}`);
        return refusedLetter(record, logic.dlqTopic, logic.stage, error);
      },
    });
    dead += refused;
    metrics?.inc("records_in_total", "records consumed", records.length);
    metrics?.inc("records_out_total", "records produced to the output topic", out.length - dead);
    metrics?.inc("dead_letters_total", "records sent to the dead-letter topic", dead);
  }
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

import type { Component, Logger } from "@dockwatch/runtime";
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { SourceRecord } from "./records.js";

// The one batch consumer of every consuming stage. Besides consume/commit it
// carries what a downstream outage of minutes needs:
//  - a keep-alive that heartbeats every few seconds while a batch is held, so
//    the group session survives however long the handler retries;
//  - a signal aborted on stop (and when the partition is revoked or seeked),
//    so a batch that cannot be finished is abandoned uncommitted instead of
//    holding disconnect() until the dependency returns;
//  - the fetch tunables (maxWaitTimeInMs = flush interval, maxBytes).
// kafkajs fetches again only after its worker queue drained (fetcher.js), so
// while a batch is held nothing else is fetched: memory stays one fetch.

/** What the handler gets besides the records. */
export interface BatchContext {
  /** Aborted when the batch must be given up: stop, revoke, seek, lost session. */
  signal: AbortSignal;
}

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /**
   * Resolves only once every record is durably handled (produced with acks=all,
   * indexed, or dead-lettered); throwing leaves the batch uncommitted, and
   * kafkajs redelivers it from the last commit.
   */
  handleBatch(records: SourceRecord[], ctx: BatchContext): Promise<void>;
  partitionsConsumedConcurrently?: number;
  /** How long the broker may wait to fill a fetch: the flush interval of a quiet topic. */
  maxWaitTimeInMs?: number;
  /** Upper bound of one fetch response, hence of the records held in memory. */
  maxBytes?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface BatchConsumer extends Component {
  readonly consumer: Consumer;
}

/** Thrown into a held batch when it must be abandoned; kafkajs redelivers it from the last commit. */
export class BatchAbandonedError extends Error {
  constructor(reason: string) {
    super(`batch abandoned: ${reason}`);
    this.name = "BatchAbandonedError";
  }
}

function toSourceRecord(topic: string, partition: number, m: KafkaMessage): SourceRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} };
}

/**
 * Consumes `topic` in batches as a member of `groupId`, from the earliest
 * offset when the group is new, and commits a partition's offset only after
 * handleBatch resolved for everything before it (at-least-once).
 */
export function createBatchConsumer(opts: BatchConsumerOptions): BatchConsumer {
  const { kafka, groupId, topic, logger } = opts;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3_000;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: heartbeatIntervalMs,
    ...(opts.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: opts.maxWaitTimeInMs } : {}),
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
  });
  const stopping = new AbortController();
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    const partitions = payload.memberAssignment[topic] ?? [];
    logger.info({ groupId, topic, partitions }, `joined ${groupId}: ${partitions.length} partition(s) of ${topic}`);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    logger.error({ err: payload.error, restart: payload.restart }, `consumer of ${topic} crashed${payload.restart ? "; restarting" : ""}`);
  });

  return {
    name: `consumer ${groupId}`,
    consumer,
    ready: () => joined,
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return;
          const held = new AbortController();
          const onStop = () => held.abort(new BatchAbandonedError("the service is stopping"));
          stopping.signal.addEventListener("abort", onStop, { once: true });
          // Heartbeat while the batch is held: a retry loop may last minutes.
          const keepAlive = setInterval(() => {
            if (isStale()) held.abort(new BatchAbandonedError(`${batch.topic}/${batch.partition} was seeked or revoked`));
            heartbeat().catch((err: unknown) => held.abort(new BatchAbandonedError(`heartbeat failed (${(err as Error).message})`)));
          }, heartbeatIntervalMs);
          try {
            const records = batch.messages.map((m) => toSourceRecord(batch.topic, batch.partition, m));
            await opts.handleBatch(records, { signal: held.signal });
            if (held.signal.aborted) throw held.signal.reason;
          } finally {
            clearInterval(keepAlive);
            stopping.signal.removeEventListener("abort", onStop);
          }
          const last = batch.messages[batch.messages.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        },
      });
    },
    async stop() {
      // A batch held by an outage is given up (not committed), so disconnect does not wait for it.
      stopping.abort();
      await consumer.disconnect();
      joined = false;
    },
  };
}

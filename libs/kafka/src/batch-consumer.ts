import type { Component, Logger } from "@dockwatch/runtime";
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { SourceRecord } from "./records.js";

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /**
   * Resolves only once every record is durably handled (produced with acks=all,
   * indexed, or dead-lettered); throwing makes kafkajs retry the batch.
   */
  handleBatch(records: SourceRecord[], heartbeat: () => Promise<void>): Promise<void>;
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  maxBytesPerPartition?: number;
}

export interface BatchConsumer extends Component {
  readonly consumer: Consumer;
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
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
    ...(opts.maxBytesPerPartition ? { maxBytesPerPartition: opts.maxBytesPerPartition } : {}),
  });
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
          const records = batch.messages.map((m) => toSourceRecord(batch.topic, batch.partition, m));
          await opts.handleBatch(records, heartbeat);
          const last = batch.messages[batch.messages.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        },
      });
    },
    async stop() {
      // kafkajs waits for the in-flight batch (and its commit) before leaving the group.
      await consumer.disconnect();
      joined = false;
    },
  };
}

import type { Component, Logger } from "@dockwatch/runtime";
import type { Kafka, Producer, ProducerBatch, RecordMetadata } from "kafkajs";
import { createProducer } from "./client.js";
import { classifyKafkaError } from "./errors.js";

/**
 * The idempotent producer as a session that can be replaced. kafkajs keeps
 * one producer id and its sequence numbers for the life of a producer (a
 * reconnect keeps them), so after the broker refused a record, or answered
 * "out of order sequence number", every later send of that producer fails:
 * only a new producer (a new producer id, sequences from 0) recovers.
 */
export interface SessionProducer extends Component {
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  /** Drops the current producer and starts a new idempotent session (connected now, or on the next send if Kafka is down). */
  renew(reason: string): Promise<void>;
  /** Sessions started so far (1 after start). */
  readonly sessions: number;
}

export function createSessionProducer(kafka: Kafka, logger: Logger, make: (kafka: Kafka) => Producer = createProducer): SessionProducer {
  let producer = make(kafka);
  let connected = false;
  let sessions = 0;

  async function connect(): Promise<void> {
    try {
      await producer.connect();
    } catch (err) {
      throw classifyKafkaError(err, "producer connect");
    }
    connected = true;
    sessions += 1;
  }

  return {
    name: "publishing producer",
    ready: () => connected,
    get sessions() {
      return sessions;
    },
    start: connect,
    async stop() {
      connected = false;
      await producer.disconnect();
    },
    async sendBatch(batch) {
      if (!connected) await connect();
      return producer.sendBatch(batch);
    },
    async renew(reason) {
      const old = producer;
      connected = false;
      producer = make(kafka);
      await old.disconnect().catch((err: unknown) => logger.warn({ err }, "disconnecting the old producer failed"));
      logger.warn({ reason }, "starting a new idempotent producer session");
      await connect();
    },
  };
}

import type { SchemaStore } from "@dockwatch/codec";
import type { Logger } from "@dockwatch/runtime";
import { randomUUID } from "node:crypto";
import type { Admin, Consumer, Kafka, Producer } from "kafkajs";
import { DependencyError, retry } from "@dockwatch/errors";
import { IDLE_FETCH_WAIT_MS } from "./batch-consumer.js";
import { kafkaCall } from "./errors.js";

export interface KafkaSchemaStoreOptions {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  logger: Logger;
  /** How long a lookup waits for the reader to reach the end of the topic. */
  catchUpTimeoutMs?: number;
}

/**
 * The compacted `dockwatch.schemas` topic as a schema store: key = fingerprint
 * (hex), value = the writer schema's JSON. Each process reads the whole topic
 * with its own throw-away consumer group (kafkajs has no manual assignment)
 * and never commits, so every start reads it from the beginning.
 */
export class KafkaSchemaStore implements SchemaStore {
  readonly name = "schema-store";
  private readonly schemas = new Map<string, string>();
  private readonly nextOffset = new Map<number, bigint>();
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;

  constructor(private readonly opts: KafkaSchemaStoreOptions) {}

  async start(): Promise<void> {
    const { kafka, topic, logger } = this.opts;
    this.admin = kafka.admin();
    await this.admin.connect();
    // The schema topic is quiet nearly always: a short fetch wait keeps stop()
    // (which waits for the fetch in flight) short; see IDLE_FETCH_WAIT_MS.
    this.consumer = kafka.consumer({ groupId: `dockwatch-schema-reader-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: IDLE_FETCH_WAIT_MS });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const key = message.key?.toString();
        if (key && message.value) this.schemas.set(key, message.value.toString());
        this.nextOffset.set(partition, BigInt(message.offset) + 1n);
      },
    });
    logger.debug({ topic }, "schema store reading");
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.admin?.disconnect();
  }

  async publish(fingerprint: string, schemaJson: string): Promise<void> {
    await this.opts.producer.send({ topic: this.opts.topic, acks: -1, messages: [{ key: fingerprint, value: schemaJson }] });
    this.schemas.set(fingerprint, schemaJson);
  }

  async lookup(fingerprint: string): Promise<string | undefined> {
    const known = this.schemas.get(fingerprint);
    if (known !== undefined) return known;
    await this.catchUp();
    return this.schemas.get(fingerprint);
  }

  /** Waits until everything in the topic now has been read, so "not found" is definite. */
  private async catchUp(): Promise<void> {
    const admin = this.admin;
    if (!admin) throw new DependencyError("schema-store-unavailable", "schema store not started");
    const { topic } = this.opts;
    const ends = await kafkaCall(`offsets of ${topic}`, () => admin.fetchTopicOffsets(topic));
    const behind = () =>
      ends.some(({ partition, high, low }) => high !== low && (this.nextOffset.get(partition) ?? 0n) < BigInt(high));
    const notYet = new DependencyError("schema-store-behind", `schema topic ${topic} not read to its end within the timeout`);
    // Polls the reader's position every ~50 ms until it reached the ends, for at most catchUpTimeoutMs.
    await retry(
      async () => {
        if (behind()) throw notYet;
      },
      { initialMs: 50, maxMs: 50, maxElapsedMs: this.opts.catchUpTimeoutMs ?? 15_000 },
      undefined,
      { retryIf: (err) => err === notYet },
    );
  }
}

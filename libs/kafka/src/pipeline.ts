import { createCodec, type Codec } from "@dockwatch/codec";
import type { KafkaSettings } from "@dockwatch/config";
import { CONTRACT_CHECKS, TOPIC_SPECS } from "@dockwatch/contracts";
import { DependencyError } from "@dockwatch/errors";
import type { Component, Logger } from "@dockwatch/runtime";
import type { Kafka, Producer } from "kafkajs";
import { createKafka, createProducer } from "./client.js";
import { connectFailure } from "./errors.js";
import { KafkaSchemaStore } from "./schema-store.js";
import { producerComponent } from "./stage.js";
import { ensureTopics, type TopicSpec } from "./topics.js";

export interface PipelineClients {
  kafka: Kafka;
  producer: Producer;
  codec: Codec;
  schemaStore: KafkaSchemaStore;
  /** Start these first, in order: topics and producer, the schema store, then the writer schemas. */
  components: Component[];
}

export interface PipelineClientOptions {
  settings: KafkaSettings;
  logger: Logger;
  /** Avro records this service writes: registered in the schema topic before first use. */
  writes: string[];
  /** Topics to create when missing (a fresh cluster, a test's own topics). */
  topics: TopicSpec[];
}

/** The Kafka side every service shares: client, idempotent producer, schema topic, codec. */
export function createPipelineClients({ settings, logger, writes, topics }: PipelineClientOptions): PipelineClients {
  const kafka = createKafka(settings, logger);
  const producer = createProducer(kafka);
  const schemaStore = new KafkaSchemaStore({ kafka, producer, topic: settings.topics.schemas, logger });
  // Every decoded value is checked against its topic's contract, so a stage's
  // decode dead-letters an absurd value like bad bytes (a CodecError).
  const codec = createCodec({ store: schemaStore, checks: CONTRACT_CHECKS });
  const topicsComponent: Component = {
    name: "topics",
    async start() {
      const admin = kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        throw new DependencyError("kafka-unreachable", connectFailure(settings.brokers, err, settings.sasl?.username), { cause: err });
      }
      try {
        await ensureTopics(
          admin,
          [{ topic: settings.topics.schemas, numPartitions: TOPIC_SPECS.schemas.partitions, compacted: TOPIC_SPECS.schemas.compacted }, { topic: settings.topics.dlq }, ...topics],
          { durability: settings.durability, logger, username: settings.sasl?.username },
        );
      } finally {
        await admin.disconnect();
      }
    },
    async stop() {},
  };
  const registration: Component = {
    name: "schema registration",
    async start() {
      for (const name of writes) await codec.register(name);
    },
    async stop() {},
  };
  return {
    kafka,
    producer,
    codec,
    schemaStore,
    components: [topicsComponent, producerComponent(producer), schemaStore, registration],
  };
}

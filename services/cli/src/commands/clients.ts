import { elasticsearchSettings, kafkaSettings, type KafkaSettings } from "@dockwatch/config";
import { createKafka } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { createElasticsearchClient } from "@dockwatch/elasticsearch";
import type { Client } from "@elastic/elasticsearch";
import type { Admin } from "kafkajs";

export interface CliClients {
  topics: KafkaSettings["topics"];
  /** Undefined when Kafka does not answer: the summary shows "-" for lag. */
  admin: Admin | undefined;
  es: Client;
  close(): Promise<void>;
}

/**
 * Kafka and Elasticsearch as the services reach them: the same variables
 * (brokers, SASL/TLS, topic names, URL, API key, CA), not a second reading of them.
 */
export async function connectCliClients(env: NodeJS.ProcessEnv = process.env, kafkaRetries = 1): Promise<CliClients> {
  const settings = kafkaSettings(env, "cli");
  const admin = createKafka(settings, createLogger("dockwatch-cli", "silent"), { retries: kafkaRetries }).admin();
  const kafkaUp = await admin.connect().then(
    () => true,
    () => false,
  );
  const es = createElasticsearchClient(elasticsearchSettings(env));
  return {
    topics: settings.topics,
    admin: kafkaUp ? admin : undefined,
    es,
    async close() {
      if (kafkaUp) await admin.disconnect();
      await es.close();
    },
  };
}

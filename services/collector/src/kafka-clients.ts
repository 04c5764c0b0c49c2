import { DependencyError, type RetryPolicy } from "@dockwatch/errors";
import { classifyKafkaError, type PipelineClients } from "@dockwatch/kafka";
import { backgroundComponent, type BackgroundComponent, type Component, type Logger } from "@dockwatch/runtime";

export interface KafkaClientsDeps {
  clients: PipelineClients;
  brokers: string[];
  retry: RetryPolicy;
  unknownAttempts: number;
  logger: Logger;
}

/**
 * The pipeline's Kafka clients (topics, producer, schema store, schema
 * registration) started in the background: reading the engine never waits
 * for Kafka, and events stay in the spool until these are up.
 */
export function createKafkaClients({ clients, brokers, retry, unknownAttempts, logger }: KafkaClientsDeps): BackgroundComponent {
  const started: Component[] = [];

  /** Reachable at all? Told apart here, so a broker that is down is retried for as long as it takes. */
  async function probe(): Promise<void> {
    const admin = clients.kafka.admin();
    try {
      await admin.connect();
    } catch (err) {
      throw new DependencyError("kafka-unavailable", `Kafka at ${brokers.join(",")} is unreachable; events stay in the spool`, { cause: err });
    }
    await admin.disconnect().catch(() => undefined);
  }

  return backgroundComponent({
    name: "kafka clients",
    logger,
    retry,
    unknownAttempts,
    async attempt() {
      await probe();
      // Resumes where the last attempt stopped: a component that started stays started.
      for (const c of clients.components.slice(started.length)) {
        try {
          await c.start();
        } catch (err) {
          throw classifyKafkaError(err, `Kafka: ${c.name} start failed`);
        }
        started.push(c);
      }
      logger.info("publishing to Kafka");
    },
    async release() {
      for (const c of started.splice(0).reverse()) await c.stop().catch((err: unknown) => logger.warn({ err }, `${c.name} stop failed`));
    },
  });
}

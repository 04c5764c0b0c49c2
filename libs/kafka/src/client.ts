import type { KafkaSettings } from "@dockwatch/config";
import type { Logger } from "@dockwatch/runtime";
import { Kafka, Partitioners, logLevel, type Producer, type SASLOptions } from "kafkajs";

/** kafkajs client from the validated settings; its logs go through our logger. */
export function createKafka(settings: KafkaSettings, logger: Logger, options: { retries?: number } = {}): Kafka {
  const log = logger.child({ component: "kafkajs" });
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    ssl: settings.ssl === false ? false : { ...settings.ssl },
    ...(settings.sasl ? { sasl: settings.sasl as SASLOptions } : {}),
    connectionTimeout: 5_000,
    // A one-shot tool (dockwatch status) gives up sooner than a service.
    ...(options.retries !== undefined ? { retry: { retries: options.retries } } : {}),
    logLevel: logLevel.INFO,
    logCreator:
      () =>
      ({ namespace, level, log: entry }) => {
        const { message, ...extra } = entry;
        const fields = { namespace, ...extra };
        // kafkajs INFO is chatty (joins, rebalances): keep it at debug.
        if (level === logLevel.ERROR) log.error(fields, message);
        else if (level === logLevel.WARN) log.warn(fields, message);
        else log.debug(fields, message);
      },
  });
}

/**
 * The one producer every service uses: idempotent, acks=all (kafkajs requires
 * -1 for idempotence), one request in flight so retries keep per-key order.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

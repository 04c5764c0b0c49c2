import { createPipelineClients, createSessionProducer } from "@dockwatch/kafka";
import { Metrics, startService, type Component, type Logger, type RunningService } from "@dockwatch/runtime";
import type { CollectorConfig } from "./config.js";
import { createHeartbeat } from "./heartbeat.js";
import { createInspector } from "./inspector.js";
import { createKafkaClients } from "./kafka-clients.js";
import { createPublisher } from "./publisher.js";
import { createReconciler } from "./reconciler.js";
import { createRefit } from "./refit.js";
import { createRecords } from "./records.js";
import { createSpoolWriter } from "./spool-writer.js";
import { createWatcher } from "./watcher.js";

export interface Collector {
  /** In lifecycle order: started first to last (downstream first), stopped in reverse. */
  components: Component[];
  metrics: Metrics;
}

/**
 * Engine events and collector status -> local spool -> docker.events.raw, as
 * components: the watcher reads the engine and appends to the spool; the
 * publisher sends from the spool in order and frees it only after Kafka
 * acknowledged (acks=all). Neither waits for the other. No I/O here: each
 * component connects in its own start().
 */
export function createCollector(config: CollectorConfig, logger: Logger): Collector {
  const metrics = new Metrics("dockwatch_collector");
  const { retry } = config;
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DockerEvent"], topics: [{ topic: config.kafka.topics.raw }] });
  const records = createRecords({ agent: config.identity.agent, topics: config.kafka.topics, codec: clients.codec, bounds: config.bounds });
  const writer = createSpoolWriter({
    stateDir: config.stateDir,
    maxEvents: config.spoolMaxEvents,
    maxBytes: config.spoolMaxBytes,
    flushMs: config.spoolFlushMs,
    batchMax: config.publishBatchMax,
    records,
    logger,
    metrics,
  });
  const inspector = createInspector({ cacheSize: config.inspectCacheSize, metrics });
  const reconciler = createReconciler({ writer, records, inspector, logger, metrics });
  // The publisher's own producer: a session it can replace when the broker refuses a record.
  const publishing = createSessionProducer(clients.kafka, logger);
  const kafka = createKafkaClients({ clients: { ...clients, components: [...clients.components, publishing] }, brokers: config.kafka.brokers, retry: retry.kafka, unknownAttempts: retry.unknownAttempts, logger });
  const publisher = createPublisher({
    writer,
    kafka,
    producer: publishing,
    refit: createRefit({ topics: config.kafka.topics, codec: clients.codec, bounds: config.bounds }),
    batchMax: config.publishBatchMax,
    retry: retry.publish,
    unknownAttempts: retry.unknownAttempts,
    drainMs: config.drainMs,
    idleMs: config.publishIdleMs,
    logger,
    metrics,
  });
  const watcher = createWatcher({
    retry: retry.engine,
    unknownAttempts: retry.unknownAttempts,
    waitMs: config.engineWaitMs,
    writer,
    records,
    reconciler,
    inspector,
    logger,
    metrics,
  });
  const heartbeat = createHeartbeat({ intervalMs: config.heartbeatMs, writer, records, connected: () => watcher.connected });
  return { components: [writer, reconciler, kafka, publisher, watcher, heartbeat], metrics };
}

/** Starts the collector behind its health server; a component that gives up stops it (the lifecycle's fatal). */
export async function startCollector(config: CollectorConfig, logger: Logger): Promise<RunningService> {
  const { components, metrics } = createCollector(config, logger);
  return startService({ name: "collector", logger, healthPort: config.runtime.healthPort, healthHost: config.runtime.healthHost, metrics, components });
}

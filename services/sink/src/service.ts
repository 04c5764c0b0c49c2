import type { Alert } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS, alertDocument } from "@dockwatch/contracts";
import {
  duration,
  elasticsearchSettings,
  int,
  kafkaSettings,
  parseEnv,
  runtimeSettings,
  type ElasticsearchSettings,
  type Env,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { CodecError } from "@dockwatch/codec";
import { createBatchConsumer, createPipelineClients, deadLetter, toTopicMessages, type OutputRecord, type SourceRecord } from "@dockwatch/kafka";
import { Metrics, backoffDelay, sleep, startService, type Component, type Logger, type RunningService } from "@dockwatch/runtime";
import type { Client } from "@elastic/elasticsearch";
import { classifyBulkItems, indexFor } from "./bulk.js";
import { createElasticsearchClient, describeEsError, isRetryable, prepareElasticsearch } from "./elasticsearch.js";

export interface SinkConfig {
  kafka: KafkaSettings;
  elasticsearch: ElasticsearchSettings;
  runtime: RuntimeSettings;
  startupTimeoutMs: number;
  bulkMaxDocs: number;
  concurrency: number;
  replicas: number;
  retryMaxMs: number;
}

export function loadSinkConfig(env: Env): SinkConfig {
  const v = parseEnv(
    {
      ES_STARTUP_TIMEOUT: duration("2m"),
      SINK_BULK_MAX_DOCS: int(1000, 1, 100_000),
      SINK_CONCURRENCY: int(1, 1, 64),
      ES_INDEX_REPLICAS: int(0, 0, 10),
      SINK_RETRY_MAX_DELAY: duration("30s"),
    },
    env,
  );
  return {
    kafka: kafkaSettings(env, "sink"),
    elasticsearch: elasticsearchSettings(env),
    runtime: runtimeSettings(env, HEALTH_PORTS.sink),
    startupTimeoutMs: v.ES_STARTUP_TIMEOUT,
    bulkMaxDocs: v.SINK_BULK_MAX_DOCS,
    concurrency: v.SINK_CONCURRENCY,
    replicas: v.ES_INDEX_REPLICAS,
    retryMaxMs: v.SINK_RETRY_MAX_DELAY,
  };
}

/** One alert ready to index, with the record it came from (for the DLQ). */
interface Pending {
  record: SourceRecord;
  id: string;
  index: string;
  document: Record<string, unknown>;
}

/** Alerts arrive as Avro (default) or JSON (ALERTS_FORMAT=json); both are accepted per message. */
async function toPending(record: SourceRecord, decodeAvro: (b: Buffer) => Promise<Alert>): Promise<Pending> {
  const value = record.value ?? Buffer.alloc(0);
  if (value[0] === 0x7b /* { */) {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(value.toString("utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new CodecError("malformed", `JSON alert does not parse: ${(err as Error).message}`);
    }
    if (typeof doc.id !== "string") throw new CodecError("malformed", "JSON alert has no string id");
    return { record, id: doc.id, index: indexFor(doc as unknown as Alert), document: doc };
  }
  const alert = await decodeAvro(value);
  return { record, id: alert.id, index: indexFor(alert), document: alertDocument(alert) };
}

export function startSink(config: SinkConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_sink");
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: [], topics: [{ topic: topics.alerts }] });
  const es: Client = createElasticsearchClient(config.elasticsearch);
  let esHealthy = false;

  const elasticsearch: Component = {
    name: "elasticsearch",
    ready: () => esHealthy,
    async start() {
      await prepareElasticsearch(es, config.elasticsearch.url, config.replicas, config.startupTimeoutMs, logger);
      esHealthy = true;
    },
    stop: () => es.close(),
  };

  /** Indexes until every item is indexed or permanently rejected; returns the rejects. */
  async function indexAll(items: Pending[], heartbeat: () => Promise<void>): Promise<Array<{ item: Pending; error: string }>> {
    const rejected: Array<{ item: Pending; error: string }> = [];
    let pending = items;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const retry: Pending[] = [];
      try {
        for (let i = 0; i < pending.length; i += config.bulkMaxDocs) {
          const chunk = pending.slice(i, i + config.bulkMaxDocs);
          const operations = chunk.flatMap((p) => [{ index: { _index: p.index, _id: p.id } }, p.document]);
          const response = await es.bulk({ operations });
          classifyBulkItems(response.items as never).forEach((outcome, j) => {
            if (outcome.kind === "retry") retry.push(chunk[j]!);
            else if (outcome.kind === "reject") rejected.push({ item: chunk[j]!, error: outcome.error });
          });
        }
        if (!esHealthy) logger.info("Elasticsearch is back; indexing resumed");
        esHealthy = true;
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if (esHealthy) logger.warn(`Elasticsearch unavailable (${describeEsError(err)}); holding the batch and retrying`);
        esHealthy = false;
        retry.splice(0, retry.length, ...pending);
      }
      pending = retry;
      if (pending.length > 0) {
        metrics.inc("bulk_retries_total", "bulk attempts that left items to retry");
        await sleep(backoffDelay(attempt, { initialMs: 200, maxMs: config.retryMaxMs }));
        await heartbeat();
      }
    }
    return rejected;
  }

  const consumer = createBatchConsumer({
    kafka: clients.kafka,
    groupId: GROUPS.sink,
    topic: topics.alerts,
    logger,
    partitionsConsumedConcurrently: config.concurrency,
    async handleBatch(records, heartbeat) {
      const ready: Pending[] = [];
      const dead: OutputRecord[] = [];
      for (const record of records) {
        try {
          ready.push(await toPending(record, (b) => clients.codec.decode<Alert>("Alert", b)));
        } catch (err) {
          if (!(err instanceof CodecError) && !(err instanceof Error && /usable time/.test(err.message))) throw err;
          dead.push(deadLetter(record, topics.dlq, "sink", err instanceof CodecError ? err.reason : "invalid-alert", err.message));
        }
      }
      const rejected = await indexAll(ready, heartbeat);
      for (const { item, error } of rejected) {
        dead.push(deadLetter(item.record, topics.dlq, "sink", "es-rejected", error));
        logger.warn({ id: item.id, index: item.index }, `sink: Elasticsearch rejected alert ${item.id}: ${error}`);
      }
      if (dead.length > 0) await clients.producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(dead) });
      metrics.inc("alerts_indexed_total", "alerts indexed", ready.length - rejected.length);
      metrics.inc("dead_letters_total", "alerts sent to the dead-letter topic", dead.length);
    },
  });

  return startService({
    name: "sink",
    logger,
    healthPort: config.runtime.healthPort,
    metrics,
    components: [elasticsearch, ...clients.components, consumer],
  });
}

import type { Alert } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS, REPLAY_HEADER, alertFromDocument } from "@dockwatch/contracts";
import {
  alertIndexSettings,
  duration,
  elasticsearchSettings,
  int,
  kafkaSettings,
  parseEnv,
  str,
  retrySettings,
  runtimeSettings,
  type AlertIndexSettings,
  type ElasticsearchSettings,
  type Env,
  type KafkaSettings,
  type RetrySettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { CodecError, type Codec } from "@dockwatch/codec";
import { ElasticsearchError, classifyWriteFailure, createElasticsearchClient, esCall } from "@dockwatch/elasticsearch";
import { DependencyError, classify, errorCode } from "@dockwatch/errors";
import { IDLE_FETCH_WAIT_MS, STAGE_LINGER, coalesce, createBatchConsumer, createPipelineClients, deadLetter, sendRecords, type OutputRecord, type SourceRecord } from "@dockwatch/kafka";
import { Metrics, startService, type Component, type Logger, type RunningService } from "@dockwatch/runtime";
import { SpanKind, contextFromHeaders, startSpan } from "@dockwatch/telemetry";
import type { Client } from "@elastic/elasticsearch";
import { alertBulkDoc, bulkLines, classifyBulkItems, indexFor, sameAlert, type BulkDoc, type ItemOutcome } from "./bulk.js";
import { prepareElasticsearch } from "./elasticsearch.js";
import { ITEM_RETRY_ATTEMPTS, indexUntilSettled } from "./indexer.js";
import { retentionComponent } from "./retention.js";
import { alertIndexTemplate } from "./template.js";

export interface SinkConfig {
  kafka: KafkaSettings;
  elasticsearch: ElasticsearchSettings;
  /** Daily indices, template and alias, all from SINK_INDEX_PREFIX (default dockwatch-alerts). */
  indices: AlertIndexSettings;
  runtime: RuntimeSettings;
  startupTimeoutMs: number;
  /** Documents per `_bulk` request at most (SINK_BULK_MAX_DOCS). */
  bulkMaxDocs: number;
  /** NDJSON bytes per `_bulk` request, about (SINK_BULK_MAX_BYTES). */
  bulkMaxBytes: number;
  /**
   * How long the broker may hold a fetch while no alert is there (kafkajs
   * maxWaitTimeInMs; SINK_FLUSH_INTERVAL): a fetch returns as soon as one
   * alert is, so this is what an idle stop waits for at most, not a batching
   * delay (that is SINK_LINGER).
   */
  flushIntervalMs: number;
  /** The shortest time from one round to the next fetch, so a trickle of alerts shares a `_bulk` (SINK_LINGER). */
  lingerMs: number;
  /** Bytes of one Kafka fetch: the memory the sink holds while Elasticsearch is down (SINK_FETCH_MAX_BYTES). */
  fetchMaxBytes: number;
  /** `_bulk` requests in flight at once (SINK_BULK_IN_FLIGHT). */
  bulkInFlight: number;
  /** Partitions indexed concurrently (SINK_CONCURRENCY). */
  concurrency: number;
  replicas: number;
  /** SINK_RETRY_INITIAL_DELAY, SINK_RETRY_MAX_DELAY, SINK_UNKNOWN_ERROR_ATTEMPTS (libs/config's retrySettings). */
  retry: RetrySettings;
  /** Attempts in all of a document whose item fails with a 5xx before it is dead-lettered (SINK_ITEM_RETRY_ATTEMPTS). */
  itemRetryAttempts: number;
  /** Daily indices older than this are deleted; 0 = keep everything (ALERT_RETENTION_DAYS). */
  retentionDays: number;
  retentionCheckIntervalMs: number;
  /** dockwatch-sink unless SINK_CONSUMER_GROUP says otherwise (a second pipeline on one cluster, tests). */
  groupId: string;
}

export function loadSinkConfig(env: Env): SinkConfig {
  const v = parseEnv(
    {
      ES_STARTUP_TIMEOUT: duration("2m"),
      SINK_BULK_MAX_DOCS: int(1000, 1, 100_000),
      SINK_BULK_MAX_BYTES: int(5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      SINK_FLUSH_INTERVAL: duration(`${IDLE_FETCH_WAIT_MS}ms`),
      SINK_LINGER: duration(STAGE_LINGER),
      SINK_FETCH_MAX_BYTES: int(10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
      SINK_CONCURRENCY: int(16, 1, 64),
      SINK_BULK_IN_FLIGHT: int(2, 1, 16),
      ES_INDEX_REPLICAS: int(0, 0, 10),
      ALERT_RETENTION_DAYS: int(0, 0, 36_500),
      SINK_RETENTION_CHECK_INTERVAL: duration("1h"),
      SINK_CONSUMER_GROUP: str(GROUPS.sink),
      SINK_ITEM_RETRY_ATTEMPTS: int(ITEM_RETRY_ATTEMPTS, 1, 1000),
    },
    env,
  );
  return {
    kafka: kafkaSettings(env, "sink"),
    elasticsearch: elasticsearchSettings(env),
    indices: alertIndexSettings(env),
    runtime: runtimeSettings(env, HEALTH_PORTS.sink),
    startupTimeoutMs: v.ES_STARTUP_TIMEOUT,
    bulkMaxDocs: v.SINK_BULK_MAX_DOCS,
    bulkMaxBytes: v.SINK_BULK_MAX_BYTES,
    flushIntervalMs: v.SINK_FLUSH_INTERVAL,
    lingerMs: v.SINK_LINGER,
    fetchMaxBytes: v.SINK_FETCH_MAX_BYTES,
    concurrency: v.SINK_CONCURRENCY,
    bulkInFlight: v.SINK_BULK_IN_FLIGHT,
    replicas: v.ES_INDEX_REPLICAS,
    retry: retrySettings(env, "SINK"),
    itemRetryAttempts: v.SINK_ITEM_RETRY_ATTEMPTS,
    retentionDays: v.ALERT_RETENTION_DAYS,
    retentionCheckIntervalMs: v.SINK_RETENTION_CHECK_INTERVAL,
    groupId: v.SINK_CONSUMER_GROUP,
  };
}

/** One alert ready to index, with the record it came from (for the DLQ). */
interface Pending extends BulkDoc {
  record: SourceRecord;
  /** The rule that alerted, for the log lines about this alert. */
  rule: string;
  /** The run id of the `dockwatch replay` that produced it (REPLAY_HEADER), if one did. */
  replay?: string;
}

/**
 * The replay run that produced `record`, from its REPLAY_HEADER. Trusted as
 * the alert itself is: only the rules identity may produce to `alerts`
 * (Kafka ACLs), and replay runs with that identity.
 */
function replayOf(record: SourceRecord): string | undefined {
  const header = record.headers?.[REPLAY_HEADER];
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined ? undefined : value.toString();
}

/**
 * Alerts arrive as Avro (default) or JSON (ALERTS_FORMAT=json); both are
 * accepted per message and both are checked against the Alert contract before
 * anything reads them (the codec's decode, or its validate for a JSON
 * document), so a record that is no alert is a CodecError, dead-lettered.
 */
async function toPending(record: SourceRecord, codec: Codec, indexPrefix: string): Promise<Pending> {
  const value = record.value ?? Buffer.alloc(0);
  const replay = replayOf(record);
  if (value[0] === 0x7b /* { */) {
    let doc: unknown;
    try {
      doc = JSON.parse(value.toString("utf8"));
    } catch (err) {
      throw new CodecError("malformed", `JSON alert does not parse: ${(err as Error).message}`);
    }
    const alert = codec.validate<Alert>("Alert", alertFromDocument(doc));
    return { record, rule: alert.rule.id, ...replayFields(replay), id: alert.id, index: indexFor(alert, indexPrefix), source: JSON.stringify(doc) };
  }
  const alert = await codec.decode<Alert>("Alert", value);
  return { record, rule: alert.rule.id, ...replayFields(replay), ...alertBulkDoc(alert, indexPrefix, replay !== undefined) };
}

/** What a round came to: its dead letters (sent once the round is indexed) and the counts for the metrics. */
interface RoundOutcome {
  dead: OutputRecord[];
  indexed: number;
  duplicates: number;
}

/** A replayed alert replaces the indexed one (an `index` op); every other alert is created (`create`, the default). */
const replayFields = (replay: string | undefined): Partial<Pending> => (replay === undefined ? {} : { replay, op: "index" });

export function startSink(config: SinkConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_sink");
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: [], topics: [{ topic: topics.alerts }] });
  const es: Client = createElasticsearchClient(config.elasticsearch);
  let esHealthy = false;
  /** Why indexing is held, for /readyz and the log: set while a batch is held, cleared when it goes through. */
  let heldBecause: string | undefined;

  const elasticsearch: Component = {
    name: "elasticsearch",
    ready: () => esHealthy,
    detail: () => heldBecause,
    async start() {
      await prepareElasticsearch(es, {
        url: config.elasticsearch.url,
        timeoutMs: config.startupTimeoutMs,
        policy: config.retry.startup,
        logger,
        templateName: config.indices.template,
        template: alertIndexTemplate(config.replicas, config.indices),
      });
      esHealthy = true;
    },
    stop: () => es.close(),
  };

  /**
   * One `_bulk` of pre-serialized documents; the response is trimmed to what
   * classification reads. A failure is thrown classified; a whole request the
   * cluster refuses for every document (401/403, a write block) holds the
   * batch like an outage (a DependencyError with the refusal's code).
   */
  async function send(chunk: Pending[]): Promise<ItemOutcome[]> {
    let response;
    try {
      response = await esCall(() => es.bulk({ operations: chunk.map(bulkLines) as never, filter_path: "errors,items.*.status,items.*.error,items.*.result" }));
    } catch (err) {
      if (err instanceof ElasticsearchError && !err.retryable && err.status !== undefined) {
        const failure = classifyWriteFailure(err.status, err.type);
        if (failure.kind === "hold") throw new DependencyError(failure.code, `Elasticsearch refuses writes: ${err.message}`, { cause: err });
      }
      throw err;
    }
    // Without errors the results still matter: an `index` op (replay) that says "updated" replaced an alert.
    if (!response.errors && !chunk.some((d) => d.op === "index")) return chunk.map(() => ({ kind: "indexed" }));
    return classifyBulkItems(response.items as never);
  }

  const consumer = createBatchConsumer({
    kafka: clients.kafka,
    groupId: config.groupId,
    topic: topics.alerts,
    logger,
    partitionsConsumedConcurrently: config.concurrency,
    maxWaitTimeInMs: config.flushIntervalMs,
    lingerMs: config.lingerMs,
    maxBytes: config.fetchMaxBytes,
    retry: config.retry,
    handleBatch: (records, { signal }) => indexCoalesced(records, signal),
  });

  // The batches of one fetch (every partition's, handled concurrently) are
  // indexed as one round: one `_bulk` per SINK_BULK_MAX_BYTES instead of one
  // or two per partition (@dockwatch/kafka coalesce.ts). One span per alert, child of the
  // rules' span carried in its headers: the last hop of the trace that
  // started at the collector.
  const indexCoalesced = coalesce<SourceRecord>(async ({ batches, signal }) => {
    const records = batches.flat();
    const spans = records.map((r) => startSpan("sink index", contextFromHeaders(r.headers), SpanKind.CONSUMER).span);
    try {
      await indexBatch(records, signal);
    } finally {
      for (const span of spans) span.end();
    }
  });

  /**
   * Indexes a round's records a slice of SINK_BULK_MAX_DOCS at a time, with
   * up to SINK_BULK_IN_FLIGHT `_bulk` requests in flight: the next slice is
   * decoded and serialized (the sink's CPU) while Elasticsearch indexes the
   * last ones (its CPU, more than one core when two requests are in flight),
   * instead of the two taking turns (issue 13). Everything settles before
   * the round resolves, so the offsets are still committed only after every
   * alert is indexed or dead-lettered.
   */
  async function indexBatch(records: SourceRecord[], signal: AbortSignal): Promise<void> {
    const outcome: RoundOutcome = { dead: [], indexed: 0, duplicates: 0 };
    const inFlight: Array<Promise<void>> = [];
    try {
      for (let start = 0; start < records.length; start += config.bulkMaxDocs) {
        const ready = await prepare(records.slice(start, start + config.bulkMaxDocs), outcome.dead);
        if (inFlight.length >= config.bulkInFlight) await inFlight.shift();
        const sending = indexReady(ready, outcome, signal);
        // Awaited in turn, or below; a failure meanwhile must not be an unhandled rejection.
        sending.catch(() => undefined);
        inFlight.push(sending);
      }
    } finally {
      // Whatever happened, nothing of this round may still be running when it settles.
      await Promise.allSettled(inFlight);
    }
    await Promise.all(inFlight);
    const { dead, indexed, duplicates } = outcome;
    if (dead.length > 0) await sendRecords(clients.producer, dead);
    metrics.inc("alerts_indexed_total", "alerts indexed", indexed);
    metrics.inc("alerts_duplicate_total", "alerts already indexed with the same content (a redelivery): absorbed", duplicates);
    metrics.inc("dead_letters_total", "alerts sent to the dead-letter topic", dead.length);
  }

  /** The records as documents to index; a bad alert (a CodecError, an alert without a usable time) goes to `dead`, anything else throws. */
  async function prepare(records: SourceRecord[], dead: OutputRecord[]): Promise<Pending[]> {
    const ready: Pending[] = [];
    for (const record of records) {
      try {
        ready.push(await toPending(record, clients.codec, config.indices.dailyPrefix));
      } catch (err) {
        if (classify(err) !== "record") throw err;
        const reason = errorCode(err);
        dead.push(deadLetter(record, topics.dlq, "sink", reason, (err as Error).message));
        logger.warn({ err, topic: record.topic, partition: record.partition, offset: record.offset, reason }, `dead-lettered ${record.topic}/${record.partition}@${record.offset} (${reason})`);
      }
    }
    return ready;
  }

  /** Indexes `ready` until each alert is indexed, absorbed as a redelivery or dead-lettered (into `outcome`). */
  async function indexReady(ready: Pending[], outcome: RoundOutcome, signal: AbortSignal): Promise<void> {
    const { dead } = outcome;
    let toIndex = ready;
    // Rounds: index; the ids that existed are compared with what Elasticsearch holds; one that vanished meanwhile
    // (retention deleted its index between the 409 and the read) is created again in the next round.
    while (toIndex.length > 0) {
      const settled = await settle(toIndex, signal);
      const verdicts = await compareExisting(settled.existing);
      for (const { doc, error, reason } of settled.rejected) {
        dead.push(deadLetter(doc.record, topics.dlq, "sink", reason, error));
        logger.warn({ id: doc.id, index: doc.index, reason }, `Elasticsearch rejected alert ${doc.id} (${reason}): ${error}`);
      }
      for (const doc of settled.replaced) {
        logger.info({ id: doc.id, index: doc.index, rule: doc.rule, replay: doc.replay }, `replay ${doc.replay} replaced alert ${doc.id} (rule ${doc.rule}) in ${doc.index}`);
      }
      for (const doc of verdicts.conflicting) {
        const error = `alert ${doc.id} is already indexed in ${doc.index} with different content; the indexed alert is kept`;
        dead.push(deadLetter(doc.record, topics.dlq, "sink", "alert-conflict", error));
        logger.warn(
          { id: doc.id, index: doc.index, rule: doc.rule, topic: doc.record.topic, partition: doc.record.partition, offset: doc.record.offset, reason: "alert-conflict" },
          `alert ${doc.id} (rule ${doc.rule}) from ${doc.record.topic}/${doc.record.partition}@${doc.record.offset} differs from the indexed one; kept the indexed alert, dead-lettered this one (alert-conflict)`,
        );
      }
      outcome.indexed += toIndex.length - settled.rejected.length - settled.existing.length;
      outcome.duplicates += verdicts.identical.length;
      metrics.inc("alerts_replaced_total", "alerts a dockwatch replay replaced in place (index op, logged per id)", settled.replaced.length);
      metrics.inc("alerts_conflicting_total", "alerts whose id was indexed with different content: kept the indexed one, dead-lettered (alert-conflict)", verdicts.conflicting.length);
      toIndex = verdicts.missing;
    }
  }

  /**
   * The alerts whose `create` found their id taken, against what Elasticsearch
   * holds: the same alert (a redelivery, sameAlert) is absorbed; a different
   * one is a conflict, never written; one no longer there is indexed again.
   */
  async function compareExisting(existing: Pending[]): Promise<{ identical: Pending[]; conflicting: Pending[]; missing: Pending[] }> {
    const verdicts = { identical: [] as Pending[], conflicting: [] as Pending[], missing: [] as Pending[] };
    if (existing.length === 0) return verdicts;
    const { docs } = await esCall(() => es.mget({ docs: existing.map((d) => ({ _index: d.index, _id: d.id })) }));
    docs.forEach((found, i) => {
      const doc = existing[i]!;
      if (!("found" in found) || !found.found) verdicts.missing.push(doc);
      else if (sameAlert(found._source, doc.source)) verdicts.identical.push(doc);
      else verdicts.conflicting.push(doc);
    });
    return verdicts;
  }

  function settle(ready: Pending[], signal: AbortSignal) {
    return indexUntilSettled(ready, {
      send,
      maxDocs: config.bulkMaxDocs,
      maxBytes: config.bulkMaxBytes,
      policy: config.retry.outage,
      signal,
      itemRetryAttempts: config.itemRetryAttempts,
      onUnavailable(err) {
        esHealthy = false;
        const code = errorCode(err);
        heldBecause = `${code}: ${(err as Error).message}`;
        metrics.set("indexing_held", "1 while a batch is held (Elasticsearch unavailable or refusing writes)", 1);
        metrics.inc(`indexing_holds_total`, "times indexing was held (outage or refused writes)");
        if (code.startsWith("es-")) {
          // Not an outage that ends by itself: an operator must act (credentials, open the index, lift the block).
          logger.error({ err, code }, `Elasticsearch refuses writes (${code}); holding the batch (consumption paused) until it is fixed: ${(err as Error).message}`);
        } else {
          logger.warn({ err }, "Elasticsearch unavailable; holding the batch (consumption paused) and retrying");
        }
      },
      onAvailable() {
        esHealthy = true;
        heldBecause = undefined;
        metrics.set("indexing_held", "1 while a batch is held (Elasticsearch unavailable or refusing writes)", 0);
        logger.info("Elasticsearch takes writes again; indexing resumed");
      },
      onRetry: (left) => metrics.inc("bulk_retried_items_total", "documents sent again after a retryable failure", left),
    });
  }

  const retention = retentionComponent({
    es,
    retentionDays: config.retentionDays,
    intervalMs: config.retentionCheckIntervalMs,
    prefix: config.indices.dailyPrefix,
    logger,
    metrics,
  });

  return startService({
    name: "sink",
    logger,
    healthPort: config.runtime.healthPort,
    healthHost: config.runtime.healthHost,
    metrics,
    components: [elasticsearch, retention, ...clients.components, consumer],
  });
}

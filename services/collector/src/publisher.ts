import { RetryAbortedError, errorCode, retry, type RetryPolicy } from "@dockwatch/errors";
import { classifyKafkaError, isRefusedRecord, needsNewSession, toTopicMessages, type SessionProducer } from "@dockwatch/kafka";
import { retryByTaxonomy, type BackgroundComponent, type Component, type ComponentContext, type Logger, type Metrics } from "@dockwatch/runtime";
import type { Refit } from "./refit.js";
import type { SpoolWriter } from "./spool-writer.js";
import type { SpoolEntry, SpooledRecord } from "./spool.js";

export interface PublisherDeps {
  writer: SpoolWriter;
  /** Started by the lifecycle before the publisher; it waits for them. */
  kafka: BackgroundComponent;
  producer: Pick<SessionProducer, "sendBatch" | "renew">;
  /** What to send instead of a record the broker refused (cut, or its dead letter). */
  refit: Refit;
  batchMax: number;
  retry: RetryPolicy;
  unknownAttempts: number;
  drainMs: number;
  idleMs: number;
  logger: Logger;
  metrics: Metrics;
}

const abortedOf = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/**
 * Spool -> Kafka, in spool order: a batch is sent with acks=all and only then
 * acknowledged in the spool (the acked cursor advances and the records are
 * freed). A failed send is retried from the spool; nothing is lost in between.
 */
export function createPublisher(deps: PublisherDeps): Component {
  const { writer, kafka, logger, metrics } = deps;
  const abort = new AbortController();
  const judge = retryByTaxonomy(deps.unknownAttempts);
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  /** The last spool seq this publisher acknowledged. */
  let acked = 0;
  writer.onCommit(() => wake?.());

  /** Waits for a commit to the spool (or idleMs, or stop). */
  const idle = (signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, deps.idleMs);
      wake = done;
      signal.addEventListener("abort", done, { once: true });
    });

  async function send(records: SpoolEntry[]): Promise<void> {
    // Grouped by topic, each topic's records in spool order (Kafka orders per partition only).
    const topicMessages = toTopicMessages(records.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers ?? {} })));
    try {
      await deps.producer.sendBatch({ acks: -1, topicMessages });
    } catch (err) {
      const classified = classifyKafkaError(err, "send");
      // After a refusal kafkajs's sequence numbers are out of step with the broker's
      // ("out of order sequence number" on every later send): only a new session recovers.
      if (needsNewSession(classified)) {
        await deps.producer.renew(errorCode(classified)).catch((renewErr: unknown) => logger.warn({ err: renewErr }, "new producer session failed; the next send retries"));
      }
      throw classified;
    }
  }

  /**
   * The batch, or, when the broker refuses part of it, its records one at a
   * time: each acknowledged as it is sent, a refused one replaced by what
   * refit makes of it (cut to fit, or its dead letter), so one record cannot
   * hold the spool.
   */
  async function sendBatch(batch: SpooledRecord[]): Promise<void> {
    // A retry after a failure half-way through sends only what is not acknowledged yet.
    const records = batch.filter((r) => r.seq > acked);
    if (records.length === 0) return;
    try {
      await send(records);
      return;
    } catch (err) {
      if (!isRefusedRecord(err)) throw err;
      logger.warn({ err }, `Kafka refused a record of a batch of ${records.length}; sending them one at a time`);
    }
    for (const record of records) {
      let entry: SpoolEntry = record;
      for (let attempt = 0; ; attempt++) {
        try {
          await send([entry]);
          break;
        } catch (err) {
          if (!isRefusedRecord(err) || attempt >= 2) throw err;
          entry = await deps.refit(entry, (err as Error).message);
          metrics.inc("refused_total", "spooled records Kafka refused (sent cut to fit, or dead-lettered)");
          logger.error({ err, seq: record.seq, bytes: record.value.length, sentTo: entry.topic, sentBytes: entry.value.length }, `Kafka refused spooled record ${record.seq}; sending it cut to ${entry.value.length} bytes to ${entry.topic}`);
        }
      }
      writer.ack(record.seq);
      acked = record.seq;
    }
  }

  async function publish(signal: AbortSignal): Promise<void> {
    await Promise.race([kafka.started, abortedOf(signal)]);
    while (!signal.aborted) {
      const records = writer.read(deps.batchMax);
      if (records.length === 0) {
        if (stopping) return;
        await idle(signal);
        continue;
      }
      await retry(() => sendBatch(records), deps.retry, signal, {
        retryIf: judge.retryIf,
        onRetry: (err) => {
          metrics.inc("publish_failures_total", "failed sends to Kafka (retried from the spool)");
          logger.warn({ err, spooled: writer.size }, `Kafka send failed; ${writer.size} records wait in the spool`);
        },
      });
      judge.reset();
      acked = records.at(-1)!.seq;
      writer.ack(acked);
      metrics.inc("published_total", "records acknowledged by Kafka", records.length);
    }
  }

  return {
    name: "publisher",
    async start(ctx?: ComponentContext) {
      loop = publish(abort.signal).catch((err: unknown) => {
        if (abort.signal.aborted || err instanceof RetryAbortedError) return;
        if (ctx) ctx.fatal(err, "giving up");
        else logger.error({ err }, "publisher gave up, and nothing supervises it");
      });
    },
    async stop() {
      // Drain what the spool holds for a moment if Kafka is up; what is left is published after the next start.
      stopping = true;
      wake?.();
      const deadline = kafka.running ? setTimeout(() => abort.abort(), deps.drainMs) : undefined;
      if (!deadline) abort.abort();
      await loop;
      clearTimeout(deadline);
      abort.abort();
    },
  };
}

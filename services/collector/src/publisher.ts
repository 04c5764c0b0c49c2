import { RetryAbortedError, retry, type RetryPolicy } from "@dockwatch/errors";
import { classifyKafkaError, toTopicMessages, type PipelineClients } from "@dockwatch/kafka";
import { retryByTaxonomy, type BackgroundComponent, type Component, type ComponentContext, type Logger, type Metrics } from "@dockwatch/runtime";
import type { SpoolWriter } from "./spool-writer.js";
import type { SpooledRecord } from "./spool.js";

export interface PublisherDeps {
  writer: SpoolWriter;
  /** Started by the lifecycle before the publisher; it waits for them. */
  kafka: BackgroundComponent;
  producer: Pick<PipelineClients["producer"], "sendBatch">;
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

  async function send(records: SpooledRecord[]): Promise<void> {
    // Grouped by topic, each topic's records in spool order (Kafka orders per partition only).
    const topicMessages = toTopicMessages(records.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers ?? {} })));
    try {
      await deps.producer.sendBatch({ acks: -1, topicMessages });
    } catch (err) {
      throw classifyKafkaError(err, "send");
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
      await retry(() => send(records), deps.retry, signal, {
        retryIf: judge.retryIf,
        onRetry: (err) => {
          metrics.inc("publish_failures_total", "failed sends to Kafka (retried from the spool)");
          logger.warn({ err, spooled: writer.size }, `Kafka send failed; ${writer.size} records wait in the spool`);
        },
      });
      judge.reset();
      writer.ack(records.at(-1)!.seq);
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

import { retrySettings, type RetrySettings } from "@dockwatch/config";
import { DependencyError, errorCode, isRetryable, retry, sleep } from "@dockwatch/errors";
import type { Component, ComponentContext, Logger } from "@dockwatch/runtime";
import type { Consumer, Kafka, KafkaMessage, TopicPartitionOffsetAndMetadata } from "kafkajs";
import { coalesce } from "./coalesce.js";
import type { SourceRecord } from "./records.js";

// The one batch consumer of every consuming stage. Besides consume/commit it
// carries what a downstream outage of minutes needs:
//  - a keep-alive that heartbeats every few seconds while a batch is held, so
//    the group session survives however long the handler retries;
//  - a signal aborted on stop (and when the partition is revoked or seeked),
//    so a batch that cannot be finished is abandoned uncommitted instead of
//    holding disconnect() until the dependency returns;
//  - the fetch tunables (maxWaitTimeInMs = flush interval, maxBytes, maxBytesPerPartition);
//  - the one rule, for every consuming stage, of what a failed batch means
//    (by the error taxonomy of @dockwatch/errors): a retryable error (a
//    dependency down) holds the batch and retries it for as long as it takes;
//    any other error that escapes the handler (a bug: records' own errors were
//    dead-lettered by it) is retried under a bounded policy, then the consumer
//    reports itself failed (ComponentContext.fatal) and the service stops,
//    leaving the batch uncommitted for the next run.
// kafkajs fetches again only after its worker queue drained (fetcher.js), so
// while a batch is held nothing else is fetched: memory stays one fetch.

/** What the handler gets besides the records. */
export interface BatchContext {
  /** Aborted when the batch must be given up: stop, revoke, seek, lost session. */
  signal: AbortSignal;
}

export interface BatchConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /**
   * Resolves only once every record is durably handled (produced with acks=all,
   * indexed, or dead-lettered); throwing leaves the batch uncommitted, and
   * kafkajs redelivers it from the last commit.
   */
  handleBatch(records: SourceRecord[], ctx: BatchContext): Promise<void>;
  partitionsConsumedConcurrently?: number;
  /** How long the broker may wait to fill a fetch: the flush interval of a quiet topic (default IDLE_FETCH_WAIT_MS). */
  maxWaitTimeInMs?: number;
  /** Upper bound of one fetch response, hence of the records held in memory. */
  maxBytes?: number;
  /**
   * Upper bound of one partition's share of a fetch (kafkajs: 1 MiB). The
   * bound that limits memory fairly: kafkajs asks for the partitions always in
   * the same order, so a fetch cut by maxBytes alone serves the first
   * partitions of a backlog and starves the last. A record batch larger than
   * it still comes (the broker always returns the first one), one at a time.
   */
  maxBytesPerPartition?: number;
  /**
   * The shortest time from the start of one batch to the next fetch (default
   * 0). At a trickle every fetch returns the few records that arrived since
   * the last, and each costs a round of its own (a fetch, a produce, a
   * commit: at 1,000 events/s most of a stage's CPU, issue 13); waiting out
   * the rest of this time before fetching again lets the records of the next
   * milliseconds share one round. Under backlog a batch takes longer than
   * this and nothing waits; the first record after a quiet spell is fetched
   * at once, so it never waits either.
   */
  lingerMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How a failed batch is retried: `outage` for retryable errors, `unknown` for the rest (default: retrySettings' defaults). */
  retry?: Pick<RetrySettings, "outage" | "unknown">;
}

export interface BatchConsumer extends Component {
  readonly consumer: Consumer;
}

/**
 * The default longest wait of a fetch on a quiet topic. kafkajs's stop (and so
 * disconnect) waits for the fetch in flight, and an idle consumer always has
 * one: with kafkajs's own default (5 s) every idle stage took up to 5 s to
 * stop (issue 13). The broker answers a fetch as soon as one record is there
 * (minBytes 1), so under load this wait never applies; idle, it costs two
 * empty fetches a second per consumer.
 */
export const IDLE_FETCH_WAIT_MS = 500;

/** Thrown into a held batch when it must be abandoned; kafkajs redelivers it from the last commit. */
export class BatchAbandonedError extends DependencyError {
  constructor(reason: string, options: { cause?: unknown } = {}) {
    super("batch-abandoned", `batch abandoned: ${reason}`, options);
  }
}

function toSourceRecord(topic: string, partition: number, m: KafkaMessage): SourceRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers ?? {} };
}

/**
 * Consumes `topic` in batches as a member of `groupId`, from the earliest
 * offset when the group is new, and commits a partition's offset only after
 * handleBatch resolved for everything before it (at-least-once).
 */
export function createBatchConsumer(opts: BatchConsumerOptions): BatchConsumer {
  const { kafka, groupId, topic, logger } = opts;
  const heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 3_000;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: heartbeatIntervalMs,
    maxWaitTimeInMs: opts.maxWaitTimeInMs ?? IDLE_FETCH_WAIT_MS,
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
    ...(opts.maxBytesPerPartition !== undefined ? { maxBytesPerPartition: opts.maxBytesPerPartition } : {}),
  });
  const policies = opts.retry ?? retrySettings({});
  const stopping = new AbortController();
  // Batches handled concurrently settle together (a stage's round): their
  // offsets go out as one OffsetCommit request instead of one per partition.
  const commitTogether = coalesce<TopicPartitionOffsetAndMetadata>(({ batches }) => consumer.commitOffsets(batches.flat()));
  let joined = false;
  let failed = false;
  // Where failures go: the service's lifecycle, or (started alone, in a test) a log line and a stop.
  let context: ComponentContext = {
    fatal: (err, message) => {
      logger.fatal({ err }, message);
      void component.stop();
    },
  };

  /** handleBatch until it succeeds, by the taxonomy; throws what no retry fixed (or RetryAbortedError). */
  async function settle(records: SourceRecord[], where: string, signal: AbortSignal): Promise<void> {
    await retry(
      () =>
        retry(() => opts.handleBatch(records, { signal }), policies.outage, signal, {
          retryIf: isRetryable,
          onRetry: (err, attempt, delayMs) => {
            // One line when the outage starts, then one every 10 attempts.
            if (attempt % 10 === 0) logger.warn({ err, attempt, delayMs }, `holding ${where} (${errorCode(err)}); retrying`);
          },
        }),
      policies.unknown,
      signal,
      {
        onRetry: (err, attempt, delayMs) =>
          logger.warn({ err, attempt, delayMs }, `${where} failed (${errorCode(err)}); attempt ${attempt + 2} of ${policies.unknown.maxAttempts ?? "unbounded"}`),
      },
    );
  }
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    joined = true;
    const partitions = payload.memberAssignment[topic] ?? [];
    logger.info({ groupId, topic, partitions }, `joined ${groupId}: ${partitions.length} partition(s) of ${topic}`);
  });
  // A crash leaves the consumer out of its group: not ready until it joins
  // again. kafkajs restarts it after a retriable error; after any other (a
  // KafkaJSNonRetriableError) it stays disconnected for good, and a live
  // process that consumes nothing would only look healthy: the service stops
  // (exit 1) so a supervisor restarts it.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    joined = false;
    if (stopping.signal.aborted) return;
    if (payload.restart) {
      logger.error({ err: payload.error }, `consumer of ${topic} crashed; kafkajs restarts it`);
      return;
    }
    failed = true;
    stopping.abort();
    context.fatal(payload.error, `consumer of ${topic} crashed (${payload.error?.name ?? "error"}: ${payload.error?.message ?? ""}) and cannot restart`);
  });

  const component: BatchConsumer = {
    name: `consumer ${groupId}`,
    consumer,
    ready: () => joined && !failed,
    async start(ctx?: ComponentContext) {
      if (ctx) context = ctx;
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 1,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
          // After a failure nothing more is handled (nor committed): the service is stopping.
          if (stopping.signal.aborted || !isRunning() || isStale() || batch.messages.length === 0) return;
          const startedAt = performance.now();
          const held = new AbortController();
          const stopped = new BatchAbandonedError("the service is stopping");
          const onStop = () => held.abort(stopped);
          stopping.signal.addEventListener("abort", onStop, { once: true });
          // Heartbeat while the batch is held: a retry loop may last minutes.
          const keepAlive = setInterval(() => {
            if (isStale()) held.abort(new BatchAbandonedError(`${batch.topic}/${batch.partition} was seeked or revoked`));
            heartbeat().catch((err: unknown) => held.abort(new BatchAbandonedError(`heartbeat failed (${(err as Error).message})`, { cause: err })));
          }, heartbeatIntervalMs);
          const first = batch.messages[0]!.offset;
          const where = `${batch.topic}/${batch.partition}@${first}..${batch.messages[batch.messages.length - 1]!.offset}`;
          try {
            const records = batch.messages.map((m) => toSourceRecord(batch.topic, batch.partition, m));
            await settle(records, where, held.signal);
            // A batch the handler finished while the service was stopping is
            // committed all the same: its output is acknowledged, and leaving it
            // uncommitted would only produce it twice after the next start.
            // (kafkajs's stop waits for this handler, commit included.) Revoked,
            // seeked or failed: not ours to commit.
            if (held.signal.aborted && !(held.signal.reason === stopped && !failed && !isStale())) throw held.signal.reason;
          } catch (err) {
            if (held.signal.aborted) throw held.signal.reason;
            failed = true;
            stopping.abort();
            context.fatal(
              err,
              `${where} failed (${errorCode(err)}) after ${policies.unknown.maxAttempts ?? "every"} attempt(s); not dead-lettered (not the records' fault), left uncommitted`,
            );
            return;
          } finally {
            clearInterval(keepAlive);
            stopping.signal.removeEventListener("abort", onStop);
          }
          const last = batch.messages[batch.messages.length - 1]!.offset;
          resolveOffset(last);
          const next = { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() };
          // consumer.commitOffsets retries a failed commit, but does nothing once
          // stop() began (kafkajs: "consumer not running"): that left the last
          // batch of every stop uncommitted, produced again after the next start
          // (services/cli test/integration/shutdown.test.ts). While stopping, the
          // batch's own commit (one attempt) is the one that reaches the broker.
          if (isRunning()) await commitTogether([next], held.signal);
          else await commitOffsetsIfNecessary({ topics: [{ topic: next.topic, partitions: [{ partition: next.partition, offset: next.offset }] }] });
          await heartbeat();
          // The batches of one fetch start together, so they wait out the same rest; kafkajs fetches once all returned.
          const rest = (opts.lingerMs ?? 0) - (performance.now() - startedAt);
          if (rest > 0 && isRunning()) await sleep(rest, stopping.signal);
        },
      });
    },
    async stop() {
      // A batch held by an outage is given up (not committed), so disconnect does not wait for it.
      stopping.abort();
      await consumer.disconnect();
      joined = false;
    },
  };
  return component;
}

import { setTimeout as delay } from "node:timers/promises";
import { backoffDelay } from "@dockwatch/errors";
import { chunkBulk, type BulkDoc, type ItemOutcome } from "./bulk.js";

/** Sends one `_bulk` request; resolves with one outcome per document, in order, or throws. */
export type BulkSend<T extends BulkDoc> = (chunk: T[]) => Promise<ItemOutcome[]>;

export interface IndexOptions<T extends BulkDoc> {
  send: BulkSend<T>;
  /** Is a thrown error (connection refused, timeout, 429/5xx response) worth another attempt? */
  isRetryable(err: unknown): boolean;
  maxDocs: number;
  maxBytes: number;
  /** Backoff of the retries: capped exponential, jittered (runtime's backoffDelay). */
  retryInitialMs: number;
  retryMaxMs: number;
  /** Aborted: give the batch up (throws the signal's reason); nothing is committed. */
  signal: AbortSignal;
  /** Called when a whole request failed and the batch is now held (Elasticsearch unavailable). */
  onUnavailable?(err: unknown, attempt: number): void;
  /** Called when a request went through after an unavailability. */
  onAvailable?(): void;
  /** Called before each backoff with the number of items left. */
  onRetry?(left: number, attempt: number): void;
  random?: () => number;
}

export interface Rejected<T> {
  doc: T;
  status: number;
  error: string;
}

/**
 * Indexes `docs` until every one is indexed or permanently rejected, and
 * returns the rejected ones (for the DLQ). Only the items that failed with a
 * retryable status are sent again, after a jittered, capped backoff; a request
 * that fails as a whole (Elasticsearch down) holds the batch the same way.
 */
export async function indexUntilSettled<T extends BulkDoc>(docs: T[], opts: IndexOptions<T>): Promise<Array<Rejected<T>>> {
  const rejected: Array<Rejected<T>> = [];
  let pending = docs;
  let unavailable = false;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (opts.signal.aborted) throw opts.signal.reason;
    const retry: T[] = [];
    for (const chunk of chunkBulk(pending, opts.maxDocs, opts.maxBytes)) {
      let outcomes: ItemOutcome[];
      try {
        outcomes = await opts.send(chunk);
      } catch (err) {
        if (!opts.isRetryable(err)) throw err;
        if (!unavailable) opts.onUnavailable?.(err, attempt);
        unavailable = true;
        retry.push(...chunk);
        continue;
      }
      if (outcomes.length !== chunk.length) throw new Error(`_bulk answered ${outcomes.length} items for ${chunk.length} documents`);
      if (unavailable) opts.onAvailable?.();
      unavailable = false;
      outcomes.forEach((outcome, i) => {
        const doc = chunk[i]!;
        if (outcome.kind === "retry") retry.push(doc);
        else if (outcome.kind === "reject") rejected.push({ doc, status: outcome.status, error: outcome.error });
      });
    }
    pending = retry;
    if (pending.length > 0) {
      opts.onRetry?.(pending.length, attempt);
      const ms = backoffDelay(attempt, { initialMs: opts.retryInitialMs, maxMs: opts.retryMaxMs }, opts.random);
      // node's abortable timer removes its abort listener when it fires (runtime's sleep() keeps
      // one per call, which piles up on a signal that lives through a long outage).
      await delay(ms, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
  return rejected;
}

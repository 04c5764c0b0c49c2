import { backoffDelay, isRetryable, sleep, type RetryPolicy } from "@dockwatch/errors";
import { chunkBulk, type BulkDoc, type ItemOutcome } from "./bulk.js";

/** Sends one `_bulk` request; resolves with one outcome per document, in order, or throws. */
export type BulkSend<T extends BulkDoc> = (chunk: T[]) => Promise<ItemOutcome[]>;

export interface IndexOptions<T extends BulkDoc> {
  send: BulkSend<T>;
  /**
   * Is a thrown error (connection refused, timeout, 429/5xx response) worth
   * another attempt? Defaults to the taxonomy (send throws classified errors).
   */
  isRetryable?(err: unknown): boolean;
  maxDocs: number;
  maxBytes: number;
  /** Backoff of the retries (the outage policy): capped exponential, jittered; no attempt limit. */
  policy: Pick<RetryPolicy, "initialMs" | "maxMs">;
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
 * retryable status are sent again, after the shared jittered, capped backoff;
 * a request that fails as a whole (Elasticsearch down) holds the batch the
 * same way. This is retry() at the level of items: a round may settle some
 * documents and leave others, which one operation-level retry cannot express.
 */
export async function indexUntilSettled<T extends BulkDoc>(docs: T[], opts: IndexOptions<T>): Promise<Array<Rejected<T>>> {
  const retryable = opts.isRetryable ?? isRetryable;
  const rejected: Array<Rejected<T>> = [];
  let pending = docs;
  let unavailable = false;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (opts.signal.aborted) throw opts.signal.reason;
    const again: T[] = [];
    for (const chunk of chunkBulk(pending, opts.maxDocs, opts.maxBytes)) {
      let outcomes: ItemOutcome[];
      try {
        outcomes = await opts.send(chunk);
      } catch (err) {
        if (!retryable(err)) throw err;
        if (!unavailable) opts.onUnavailable?.(err, attempt);
        unavailable = true;
        again.push(...chunk);
        continue;
      }
      if (outcomes.length !== chunk.length) throw new Error(`_bulk answered ${outcomes.length} items for ${chunk.length} documents`);
      if (unavailable) opts.onAvailable?.();
      unavailable = false;
      outcomes.forEach((outcome, i) => {
        const doc = chunk[i]!;
        if (outcome.kind === "retry") again.push(doc);
        else if (outcome.kind === "reject") rejected.push({ doc, status: outcome.status, error: outcome.error });
      });
    }
    pending = again;
    if (pending.length > 0) {
      opts.onRetry?.(pending.length, attempt);
      await sleep(backoffDelay(attempt, opts.policy, opts.random), opts.signal);
    }
  }
  return rejected;
}

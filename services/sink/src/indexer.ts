import { DependencyError, backoffDelay, isRetryable, sleep, type RetryPolicy } from "@dockwatch/errors";
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
  /**
   * Attempts in all of an item that fails with a 5xx (a shard failing this
   * one document) before it is dead-lettered as "es-item-failed"
   * (SINK_ITEM_RETRY_ATTEMPTS). Throttling (429) and a held index have no limit.
   */
  itemRetryAttempts?: number;
  /**
   * Called when the batch becomes held: a whole request failed (Elasticsearch
   * unavailable) or the index refuses writes (an item's "hold": closed,
   * blocked, credentials); `err` says which (its code).
   */
  onUnavailable?(err: unknown, attempt: number): void;
  /** Called when a round went through without a hold after the batch was held. */
  onAvailable?(): void;
  /** Called before each backoff with the number of items left. */
  onRetry?(left: number, attempt: number): void;
  random?: () => number;
}

export interface Rejected<T> {
  doc: T;
  status: number;
  error: string;
  /** The dead letter's reason: "es-rejected" (the mapping refused it) or "es-item-failed" (5xx past the item retry limit). */
  reason: "es-rejected" | "es-item-failed";
}

/** What became of a batch: the documents Elasticsearch refused (for the DLQ) and those whose _id it already held (to compare). */
export interface Settled<T> {
  rejected: Array<Rejected<T>>;
  /** A `create` answered 409: the index holds a document under this id already. */
  existing: T[];
  /** `index` operations (replay) that replaced a document ("updated"). */
  replaced: T[];
}

/** Default of SINK_ITEM_RETRY_ATTEMPTS. */
export const ITEM_RETRY_ATTEMPTS = 10;

/**
 * Indexes `docs` until every one is indexed, found to exist already or
 * permanently rejected, and returns the rejected ones (for the DLQ) and the
 * existing ones (for the caller to compare). Only the items that did not settle
 * are sent again, after the shared jittered, capped backoff: a 429 item and an
 * item whose index refuses writes (hold) as long as it takes, a 5xx item up to
 * `itemRetryAttempts` times; a request that fails as a whole (Elasticsearch
 * down) holds the batch the same way. This is retry() at the level of items: a
 * round may settle some documents and leave others, which one operation-level
 * retry cannot express.
 */
export async function indexUntilSettled<T extends BulkDoc>(docs: T[], opts: IndexOptions<T>): Promise<Settled<T>> {
  const retryable = opts.isRetryable ?? isRetryable;
  const itemAttempts = opts.itemRetryAttempts ?? ITEM_RETRY_ATTEMPTS;
  const rejected: Array<Rejected<T>> = [];
  const existing: T[] = [];
  const replaced: T[] = [];
  const failures = new Map<T, number>();
  let pending = docs;
  let unavailable = false;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (opts.signal.aborted) throw opts.signal.reason;
    const again: T[] = [];
    /** Why this round left the batch held, if it did: the first failure that holds. */
    let held: unknown;
    for (const chunk of chunkBulk(pending, opts.maxDocs, opts.maxBytes)) {
      let outcomes: ItemOutcome[];
      try {
        outcomes = await opts.send(chunk);
      } catch (err) {
        if (!retryable(err)) throw err;
        held ??= err;
        again.push(...chunk);
        continue;
      }
      if (outcomes.length !== chunk.length) throw new Error(`_bulk answered ${outcomes.length} items for ${chunk.length} documents`);
      outcomes.forEach((outcome, i) => {
        const doc = chunk[i]!;
        if (outcome.kind === "hold") {
          held ??= new DependencyError(outcome.code, `Elasticsearch refuses writes to ${doc.index}: ${outcome.status} ${outcome.error}`);
          again.push(doc);
        } else if (outcome.kind === "retry") {
          const failed = (failures.get(doc) ?? 0) + 1;
          failures.set(doc, failed);
          if (outcome.capped && failed >= itemAttempts) {
            rejected.push({ doc, status: outcome.status, error: `${outcome.error} (after ${failed} attempts)`, reason: "es-item-failed" });
          } else {
            again.push(doc);
          }
        } else if (outcome.kind === "reject") {
          rejected.push({ doc, status: outcome.status, error: outcome.error, reason: "es-rejected" });
        } else if (outcome.kind === "exists") {
          existing.push(doc);
        } else if (outcome.result === "updated") {
          replaced.push(doc);
        }
      });
    }
    if (held !== undefined && !unavailable) opts.onUnavailable?.(held, attempt);
    if (held === undefined && unavailable) opts.onAvailable?.();
    unavailable = held !== undefined;
    pending = again;
    if (pending.length > 0) {
      opts.onRetry?.(pending.length, attempt);
      await sleep(backoffDelay(attempt, opts.policy, opts.random), opts.signal);
    }
  }
  return { rejected, existing, replaced };
}

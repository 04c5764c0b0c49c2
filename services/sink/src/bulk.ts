import { RecordError } from "@dockwatch/errors";
import { classifyWriteFailure } from "@dockwatch/elasticsearch";
import { chunkBySize } from "@dockwatch/runtime";
import type { Alert } from "@dockwatch/contracts";
import { alertDocument, alertIndexNames } from "@dockwatch/contracts";

/** The default names (SINK_INDEX_PREFIX unset): what precedes YYYY.MM.DD, and the alias. */
export const INDEX_PREFIX = alertIndexNames().dailyPrefix;
export const ALIAS = alertIndexNames().alias;

/**
 * `<prefix>YYYY.MM.DD` (dockwatch-alerts-YYYY.MM.DD by default) by the source
 * event's UTC date (data.docker.time), not the processing date, so a
 * redelivered alert lands in the same index.
 */
export function indexFor(alert: Alert, prefix = INDEX_PREFIX): string {
  const seconds = Number(alert.data.docker.time);
  const date = Number.isFinite(seconds) ? new Date(seconds * 1000) : new Date(alert.timestamp);
  if (Number.isNaN(date.getTime())) throw new RecordError("invalid-alert", `alert ${alert.id} has no usable time`);
  const yyyy = date.getUTCFullYear();
  const mm = String(date.getUTCMonth() + 1).padStart(2, "0");
  const dd = String(date.getUTCDate()).padStart(2, "0");
  return `${prefix}${yyyy}.${mm}.${dd}`;
}

/** An alert as one `index` operation with _id = alert id: a redelivery overwrites, a replay updates. */
export function alertBulkDoc(alert: Alert, prefix = INDEX_PREFIX): BulkDoc {
  return { index: indexFor(alert, prefix), id: alert.id, source: JSON.stringify(alertDocument(alert)) };
}

export type ItemOutcome =
  | { kind: "indexed" }
  /** Try the item again; `capped`: only up to the item retry limit (a 5xx), else as long as it takes (429). */
  | { kind: "retry"; status: number; error: string; capped?: boolean }
  /** The index refuses writes (closed, blocked, not creatable, credentials): hold the batch like an outage. */
  | { kind: "hold"; status: number; error: string; code: string }
  | { kind: "reject"; status: number; error: string };

interface BulkItem {
  index?: { status: number; error?: { type?: string; reason?: string | null } };
}

/**
 * Classifies each item of a _bulk response by classifyWriteFailure
 * (libs/elasticsearch): 2xx indexed; an index that refuses writes holds the
 * batch; 429 and 5xx are retried (only those items, 5xx a bounded number of
 * times); anything else (the mapping refuses the document) is rejected.
 */
export function classifyBulkItems(items: BulkItem[]): ItemOutcome[] {
  return items.map((item) => {
    const op = item.index;
    if (!op) return { kind: "reject", status: 0, error: "bulk response item without an index result" };
    if (op.status >= 200 && op.status < 300) return { kind: "indexed" };
    const error = `${op.error?.type ?? "error"}: ${op.error?.reason ?? "unknown"}`;
    const failure = classifyWriteFailure(op.status, op.error?.type);
    if (failure.kind === "hold") return { kind: "hold", status: op.status, error, code: failure.code };
    if (failure.kind === "retry") return { kind: "retry", status: op.status, error, capped: failure.capped };
    return { kind: "reject", status: op.status, error };
  });
}

/** One document ready for `_bulk`: where it goes and its serialized source. */
export interface BulkDoc {
  index: string;
  id: string;
  /** The document as JSON, serialized once so its size is known before sending. */
  source: string;
}

/** The NDJSON lines of one `index` operation (action line + source line), without the final newline. */
export function bulkLines(doc: BulkDoc): string {
  return `${JSON.stringify({ index: { _index: doc.index, _id: doc.id } })}\n${doc.source}`;
}

/**
 * Splits documents into `_bulk` requests of at most `maxDocs` documents and
 * about `maxBytes` of NDJSON each; a single document larger than `maxBytes`
 * still goes alone (Elasticsearch, not the batcher, decides whether it is too big).
 */
export function chunkBulk<T extends BulkDoc>(docs: T[], maxDocs: number, maxBytes: number): T[][] {
  return chunkBySize(docs, (doc) => Buffer.byteLength(bulkLines(doc)) + 1, maxBytes, maxDocs);
}

import { isDeepStrictEqual } from "node:util";
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

/**
 * An alert as one `create` operation with _id = alert id: a first write
 * creates it, a later one under the same id is answered 409 and never
 * replaces it (the sink then compares, see sameAlert). `replace` (a record of
 * `dockwatch replay`) makes it an `index` operation, which updates in place.
 */
export function alertBulkDoc(alert: Alert, prefix = INDEX_PREFIX, replace = false): BulkDoc {
  return { index: indexFor(alert, prefix), id: alert.id, source: JSON.stringify(alertDocument(alert)), ...(replace ? { op: "index" as const } : {}) };
}

export type ItemOutcome =
  /** `result`: Elasticsearch's "created" or "updated" (an `index` op that replaced a document). */
  | { kind: "indexed"; result?: string }
  /** A `create` of an _id the index already holds (409): the sink compares the two documents. */
  | { kind: "exists"; status: number; error: string }
  /** Try the item again; `capped`: only up to the item retry limit (a 5xx), else as long as it takes (429). */
  | { kind: "retry"; status: number; error: string; capped?: boolean }
  /** The index refuses writes (closed, blocked, not creatable, credentials): hold the batch like an outage. */
  | { kind: "hold"; status: number; error: string; code: string }
  | { kind: "reject"; status: number; error: string };

interface BulkResult {
  status: number;
  result?: string;
  error?: { type?: string; reason?: string | null };
}

interface BulkItem {
  index?: BulkResult;
  create?: BulkResult;
}

/**
 * Classifies each item of a _bulk response by classifyWriteFailure
 * (libs/elasticsearch): 2xx indexed; an index that refuses writes holds the
 * batch; 429 and 5xx are retried (only those items, 5xx a bounded number of
 * times); anything else (the mapping refuses the document) is rejected.
 */
export function classifyBulkItems(items: BulkItem[]): ItemOutcome[] {
  return items.map((item) => {
    const op = item.create ?? item.index;
    if (!op) return { kind: "reject", status: 0, error: "bulk response item without an index result" };
    if (op.status >= 200 && op.status < 300) return op.result ? { kind: "indexed", result: op.result } : { kind: "indexed" };
    const error = `${op.error?.type ?? "error"}: ${op.error?.reason ?? "unknown"}`;
    const failure = classifyWriteFailure(op.status, op.error?.type);
    if (failure.kind === "exists") return { kind: "exists", status: op.status, error };
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
  /** `create` (the default: never replaces) or `index` (replaces: only for `dockwatch replay`). */
  op?: "create" | "index";
}

/** The NDJSON lines of one `create` (or `index`) operation (action line + source line), without the final newline. */
export function bulkLines(doc: BulkDoc): string {
  return `${JSON.stringify({ [doc.op ?? "create"]: { _index: doc.index, _id: doc.id } })}\n${doc.source}`;
}

/**
 * Fields of an alert document that may differ between two deliveries of the
 * same alert without it being a different alert: `timestamp` is when the
 * rules service produced it (a rules instance that crashed after producing and
 * before committing evaluates the event again, later), and
 * `dockwatch.correlation` says whether Redis could count the event at that
 * moment. Everything else is a pure function of the source event and the
 * ruleset (libs/rule-engine's buildAlert), so it must be equal.
 */
function withoutDeliveryFields(doc: unknown): unknown {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return doc;
  const { timestamp: _timestamp, ...rest } = doc as Record<string, unknown>;
  const dockwatch = rest.dockwatch;
  if (typeof dockwatch === "object" && dockwatch !== null && !Array.isArray(dockwatch)) {
    const { correlation: _correlation, ...provenance } = dockwatch as Record<string, unknown>;
    rest.dockwatch = provenance;
  }
  return rest;
}

/**
 * Is `indexed` (the _source Elasticsearch holds under an id) the same alert
 * as `source` (the document the sink was about to create)? A byte-identical
 * redelivery is, and so is a re-evaluation of the same event by the same
 * ruleset (see withoutDeliveryFields); a document that differs in anything
 * else (level, rule, description, agent, data...) is a conflict: forged, or
 * produced by another ruleset, and never replaces the indexed one.
 */
export function sameAlert(indexed: unknown, source: string): boolean {
  let candidate: unknown;
  try {
    candidate = JSON.parse(source);
  } catch {
    return false;
  }
  return isDeepStrictEqual(withoutDeliveryFields(indexed), withoutDeliveryFields(candidate));
}

/**
 * Splits documents into `_bulk` requests of at most `maxDocs` documents and
 * about `maxBytes` of NDJSON each; a single document larger than `maxBytes`
 * still goes alone (Elasticsearch, not the batcher, decides whether it is too big).
 */
export function chunkBulk<T extends BulkDoc>(docs: T[], maxDocs: number, maxBytes: number): T[][] {
  return chunkBySize(docs, (doc) => Buffer.byteLength(bulkLines(doc)) + 1, maxBytes, maxDocs);
}

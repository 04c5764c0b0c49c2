// What a failed write means for the documents in it, from Elasticsearch's
// status and error type: the same answer for one `_bulk` item and for a whole
// request. Three outcomes, because they need three different remedies:
//  - hold: the cluster refuses writes to the index, whatever the document
//    (credentials, a closed or write-blocked index, an index it cannot
//    create). Dead-lettering would send every alert of the day to the DLQ; the
//    batch is held like an outage until an operator fixes it.
//  - retry: a transient failure of the cluster (429 throttling: as long as it
//    takes; a 5xx item: a bounded number of times, since a document that keeps
//    failing a shard must not stall its partition forever).
//  - reject: the document itself (the mapping refuses it): the DLQ.
// And one that is no failure of the cluster: exists, a `create` of an _id the
// index already holds (409 version conflict); the writer decides (the sink
// compares the documents: a redelivery, or a different one it must not replace).

export type WriteFailure =
  | { kind: "hold"; code: string }
  | { kind: "retry"; code: string; /** give up after the item retry limit */ capped: boolean }
  | { kind: "reject"; code: string }
  | { kind: "exists"; code: string };

/** Error types that say the index, not the document, cannot take writes. */
const INDEX_REFUSALS: Record<string, string> = {
  index_closed_exception: "es-index-closed",
  cluster_block_exception: "es-write-blocked",
  // An index that cannot be created: auto-creation disabled, a shard limit, a bad name.
  index_not_found_exception: "es-index-unavailable",
  validation_exception: "es-index-unavailable",
  invalid_index_name_exception: "es-index-unavailable",
};

export function classifyWriteFailure(status: number, type: string | undefined): WriteFailure {
  const refusal = type ? INDEX_REFUSALS[type] : undefined;
  if (refusal) return { kind: "hold", code: refusal };
  if (status === 409 && type === "version_conflict_engine_exception") return { kind: "exists", code: "es-exists" };
  if (status === 401) return { kind: "hold", code: "es-unauthorized" };
  if (status === 403) return { kind: "hold", code: "es-forbidden" };
  if (status === 429) return { kind: "retry", code: "es-throttled", capped: false };
  if (status >= 500) return { kind: "retry", code: "es-item-failed", capped: true };
  return { kind: "reject", code: "es-rejected" };
}

/** The `error.type` of an Elasticsearch response body, if any (a ResponseError's body). */
export function responseErrorType(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  return typeof error === "object" && error !== null && typeof (error as { type?: unknown }).type === "string" ? (error as { type: string }).type : undefined;
}

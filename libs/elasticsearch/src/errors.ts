import { DockwatchError } from "@dockwatch/errors";
import { errors } from "@elastic/elasticsearch";
import { responseErrorType } from "./outcomes.js";

interface EsCause {
  type?: string;
  reason?: string | null;
  caused_by?: EsCause;
}

/**
 * One line from an Elasticsearch error: status, type and reason, followed by
 * the caused_by chain, whose last link usually names the real problem
 * ("No handler for type [wildcard] declared on field [full_log]").
 */
export function describeEsError(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    const cause = (err.body as { error?: EsCause } | undefined)?.error;
    if (!cause || typeof cause !== "object") return `${err.statusCode ?? ""} ${err.message}`.trim();
    const chain: string[] = [];
    for (let c: EsCause | undefined = cause.caused_by, depth = 0; c && depth < 5; c = c.caused_by, depth++) {
      const link = `${c.type ?? "error"}: ${c.reason ?? ""}`;
      // Elasticsearch often repeats the root reason inside its wrapper's reason.
      if (!chain.some((earlier) => earlier.includes(c!.reason ?? link))) chain.push(link);
    }
    const line = `${err.statusCode} ${cause.type ?? "error"}: ${cause.reason ?? err.message}${chain.length ? ` (caused by ${chain.join("; caused by ")})` : ""}`;
    return line.replace(/\s*\n\s*/g, " ");
  }
  return ((err as Error)?.message ?? String(err)).replace(/\s*\n\s*/g, " ");
}

/**
 * A failure of a request to Elasticsearch, in the taxonomy: unreachable, timed
 * out, throttled (429) or failing (5xx) is retryable; any other answer (4xx: a
 * bad request, a refused mapping, bad credentials) is permanent. The message is
 * describeEsError's line; `cause` is the client's error.
 */
export class ElasticsearchError extends DockwatchError {
  /** Elasticsearch's error type (`security_exception`, `cluster_block_exception`), when it answered with one. */
  readonly type: string | undefined;

  constructor(
    code: string,
    retryable: boolean,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    super(code, describeEsError(cause), { retryable, cause });
    this.type = cause instanceof errors.ResponseError ? responseErrorType(cause.body) : undefined;
  }
}

/**
 * The error of an Elasticsearch client call in the taxonomy (an
 * ElasticsearchError); anything else (a bug of ours, an error the client does
 * not type) comes back unchanged, hence unknown.
 */
export function classifyEsError(err: unknown): unknown {
  if (err instanceof DockwatchError) return err;
  if (err instanceof errors.ConnectionError || err instanceof errors.NoLivingConnectionsError) {
    return new ElasticsearchError("elasticsearch-unreachable", true, undefined, err);
  }
  if (err instanceof errors.TimeoutError) return new ElasticsearchError("elasticsearch-timeout", true, undefined, err);
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    if (status === 429) return new ElasticsearchError("elasticsearch-throttled", true, status, err);
    if (status >= 500) return new ElasticsearchError("elasticsearch-unavailable", true, status, err);
    return new ElasticsearchError("elasticsearch-rejected", false, status, err);
  }
  return err;
}

/** Runs one client call and throws its failure classified (classifyEsError). */
export async function esCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyEsError(err);
  }
}

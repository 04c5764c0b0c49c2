import { DockwatchError, RetryAbortedError, isRetryable, redactUrl, retry, type RetryPolicy } from "@dockwatch/errors";
import type { Logger } from "@dockwatch/runtime";
import type { Client } from "@elastic/elasticsearch";
import { esCall } from "./errors.js";

/** Elasticsearch stays unreachable past the startup timeout, or refuses what a program needs at start. */
export class ElasticsearchStartupError extends DockwatchError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retryable: false, ...options });
  }
}

export interface WaitOptions {
  url: string;
  /** The backoff between health checks; `maxElapsedMs` is the startup timeout. */
  policy: RetryPolicy & { maxElapsedMs: number };
  logger: Logger;
  /** The setting that bounds the wait, named in the error (default ES_STARTUP_TIMEOUT). */
  timeoutSetting?: string;
  signal?: AbortSignal;
}

/**
 * Waits until the cluster is at least yellow (cluster health: the integ-test
 * build answers GET / with 405, so ping/info cannot tell). Still unreachable
 * when `policy.maxElapsedMs` has passed, or refused (a 4xx: credentials), it
 * throws an ElasticsearchStartupError whose message is the one line a program
 * prints.
 */
export async function waitForElasticsearch(client: Client, opts: WaitOptions): Promise<void> {
  const { policy, logger } = opts;
  // The address as logs and messages show it: ELASTICSEARCH_URL may carry user:password.
  const url = redactUrl(opts.url);
  const deadline = Date.now() + policy.maxElapsedMs;
  try {
    await retry(
      // Each check is bounded by what is left of the timeout, so a black-holed address cannot outlast it.
      () =>
        esCall(() =>
          client.cluster.health({ wait_for_status: "yellow", timeout: "5s" }, { requestTimeout: Math.max(1_000, Math.min(30_000, deadline - Date.now())) }),
        ),
      policy,
      opts.signal,
      {
        retryIf: isRetryable,
        onRetry: (err, attempt) => {
          if (attempt % 5 === 0) {
            const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
            logger.warn({ err, url }, `Elasticsearch at ${url} not reachable yet; retrying for up to ${left}s`);
          }
        },
      },
    );
  } catch (err) {
    if (err instanceof RetryAbortedError) throw err;
    const line = (err as Error)?.message ?? String(err);
    if (!isRetryable(err)) {
      throw new ElasticsearchStartupError("elasticsearch-refused", `Elasticsearch at ${url} refused the health check: ${line}`, { cause: err });
    }
    const seconds = Math.round(policy.maxElapsedMs / 1000);
    throw new ElasticsearchStartupError(
      "elasticsearch-unreachable",
      `Elasticsearch at ${url} still unreachable after ${opts.timeoutSetting ?? "ES_STARTUP_TIMEOUT"} (${seconds}s): ${line}; start it (infra/local up) or set ELASTICSEARCH_URL`,
      { cause: err },
    );
  }
}

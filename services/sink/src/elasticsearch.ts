import { ElasticsearchStartupError, esCall, waitForElasticsearch } from "@dockwatch/elasticsearch";
import { RETRY_DEFAULTS } from "@dockwatch/config";
import { isRetryable, retry, type RetryPolicy } from "@dockwatch/errors";
import type { Logger } from "@dockwatch/runtime";
import type { Client } from "@elastic/elasticsearch";

// The client factory, the error classification and the wait for the cluster
// live in @dockwatch/elasticsearch (the CLI uses them too); re-exported for
// this package's users.
export { ElasticsearchStartupError, createElasticsearchClient, describeEsError } from "@dockwatch/elasticsearch";

export interface PrepareOptions {
  url: string;
  timeoutMs: number;
  logger: Logger;
  /** Backoff between attempts (the startup retry policy); bounded by `timeoutMs`. */
  policy?: RetryPolicy;
  /** The index template to install and its name (alertIndexTemplate and the names of SINK_INDEX_PREFIX). */
  templateName: string;
  template: object;
}

/**
 * Waits for Elasticsearch up to `timeoutMs`, then installs the index template
 * (a 429/5xx answer is tried again within what is left of the timeout).
 * Unreachable past the timeout, or a rejected template (at once, with
 * Elasticsearch's reason), throws an ElasticsearchStartupError whose message is
 * the one line the sink prints.
 */
export async function prepareElasticsearch(client: Client, opts: PrepareOptions): Promise<void> {
  const { url, logger } = opts;
  const policy = opts.policy ?? RETRY_DEFAULTS.startup;
  const started = Date.now();
  await waitForElasticsearch(client, { url, logger, policy: { ...policy, maxElapsedMs: opts.timeoutMs } });
  const name = opts.templateName;
  try {
    await retry(
      () => esCall(() => client.indices.putIndexTemplate({ name, ...opts.template } as never)),
      { ...policy, maxElapsedMs: Math.max(0, opts.timeoutMs - (Date.now() - started)) },
      undefined,
      { retryIf: isRetryable },
    );
  } catch (err) {
    throw new ElasticsearchStartupError("template-rejected", `Elasticsearch rejected the ${name} index template: ${(err as Error)?.message ?? String(err)}`, {
      cause: err,
    });
  }
}

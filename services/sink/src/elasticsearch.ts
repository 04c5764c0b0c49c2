import type { ElasticsearchSettings } from "@dockwatch/config";
import { backoffDelay, sleep, type Logger } from "@dockwatch/runtime";
import { Client, errors } from "@elastic/elasticsearch";
import { alertIndexTemplate } from "./template.js";

export function createElasticsearchClient(settings: ElasticsearchSettings): Client {
  return new Client({
    node: settings.url,
    ...(settings.apiKey
      ? { auth: { apiKey: settings.apiKey } }
      : settings.username
        ? { auth: { username: settings.username, password: settings.password ?? "" } }
        : {}),
    ...(settings.ca || !settings.rejectUnauthorized ? { tls: { ca: settings.ca, rejectUnauthorized: settings.rejectUnauthorized } } : {}),
    // Retries are ours (per item, with backoff and jitter), not the client's.
    maxRetries: 0,
    requestTimeout: 30_000,
  });
}

/** Connection refused, a timeout, 429 or 5xx: worth trying again. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof errors.ConnectionError || err instanceof errors.TimeoutError || err instanceof errors.NoLivingConnectionsError) return true;
  if (err instanceof errors.ResponseError) return err.statusCode === 429 || (err.statusCode ?? 0) >= 500;
  return false;
}

export function describeEsError(err: unknown): string {
  if (err instanceof errors.ResponseError) {
    const cause = (err.body as { error?: { type?: string; reason?: string; caused_by?: { reason?: string } } })?.error;
    return `${err.statusCode} ${cause?.type ?? ""}: ${cause?.reason ?? err.message}${cause?.caused_by?.reason ? ` (${cause.caused_by.reason})` : ""}`;
  }
  return (err as Error)?.message ?? String(err);
}

/**
 * Waits for Elasticsearch up to `timeoutMs`, then installs the index template.
 * Unreachable past the timeout, or a rejected template, stops the sink with one line.
 */
export async function prepareElasticsearch(client: Client, url: string, replicas: number, timeoutMs: number, logger: Logger): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.cluster.health({ wait_for_status: "yellow", timeout: "5s" });
      break;
    } catch (err) {
      if (!isRetryable(err) || Date.now() > deadline) {
        throw new Error(`Elasticsearch at ${url} is unreachable (${describeEsError(err)}); start it (infra/local up) or set ELASTICSEARCH_URL`);
      }
      const delay = backoffDelay(attempt, { initialMs: 500, maxMs: 10_000 });
      if (attempt % 5 === 0) logger.warn(`Elasticsearch at ${url} not reachable yet (${describeEsError(err)}); retrying for up to ${Math.round((deadline - Date.now()) / 1000)}s`);
      await sleep(delay);
    }
  }
  try {
    await client.indices.putIndexTemplate({ name: "dockwatch-alerts", ...alertIndexTemplate(replicas) } as never);
  } catch (err) {
    throw new Error(`Elasticsearch rejected the dockwatch-alerts index template: ${describeEsError(err)}`);
  }
}

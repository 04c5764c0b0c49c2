import type { ElasticsearchSettings } from "@dockwatch/config";
import { backoffDelay, sleep } from "@dockwatch/errors";
import type { Logger } from "@dockwatch/runtime";
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

export interface PrepareOptions {
  url: string;
  replicas: number;
  timeoutMs: number;
  logger: Logger;
  /** Overridable for tests (a template Elasticsearch rejects); defaults to the alert template. */
  templateName?: string;
  template?: object;
}

/** Elasticsearch stays unreachable past ES_STARTUP_TIMEOUT, or refuses the template: the sink cannot start. */
export class ElasticsearchStartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ElasticsearchStartupError";
  }
}

/**
 * Waits for Elasticsearch up to `timeoutMs` (cluster health: the integ-test
 * build answers GET / with 405, so ping/info cannot tell), then installs the
 * index template. Unreachable past the timeout, or a rejected template (at
 * once, with Elasticsearch's reason), throws an ElasticsearchStartupError whose
 * message is the one line the sink prints.
 */
export async function prepareElasticsearch(client: Client, opts: PrepareOptions): Promise<void> {
  const { url, logger } = opts;
  const deadline = Date.now() + opts.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      // Bounded by what is left of the startup timeout, so a black-holed address cannot outlast it.
      await client.cluster.health({ wait_for_status: "yellow", timeout: "5s" }, { requestTimeout: Math.max(1_000, Math.min(30_000, deadline - Date.now())) });
      break;
    } catch (err) {
      const seconds = Math.round(opts.timeoutMs / 1000);
      if (!isRetryable(err)) throw new ElasticsearchStartupError(`Elasticsearch at ${url} refused the health check: ${describeEsError(err)}`, { cause: err });
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ElasticsearchStartupError(
          `Elasticsearch at ${url} still unreachable after ES_STARTUP_TIMEOUT (${seconds}s): ${describeEsError(err)}; start it (infra/local up) or set ELASTICSEARCH_URL`,
          { cause: err },
        );
      }
      if (attempt % 5 === 0) logger.warn(`Elasticsearch at ${url} not reachable yet (${describeEsError(err)}); retrying for up to ${Math.round(left / 1000)}s`);
      await sleep(Math.min(left, backoffDelay(attempt, { initialMs: 500, maxMs: 10_000 })));
    }
  }
  const name = opts.templateName ?? "dockwatch-alerts";
  try {
    await client.indices.putIndexTemplate({ name, ...(opts.template ?? alertIndexTemplate(opts.replicas)) } as never);
  } catch (err) {
    throw new ElasticsearchStartupError(`Elasticsearch rejected the ${name} index template: ${describeEsError(err)}`, { cause: err });
  }
}

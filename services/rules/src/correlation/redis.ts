import type { RedisSettings } from "@dockwatch/config";
import { DependencyError, backoffDelay, redactUrl } from "@dockwatch/errors";
import type { Component, Logger } from "@dockwatch/runtime";
import { Redis } from "ioredis";

export type { Redis };

export interface CreateRedisOptions {
  logger?: Logger;
  /** Connection name shown by CLIENT LIST (which rules instance holds it). */
  connectionName?: string;
}

/**
 * An ioredis client for REDIS_URL (redis:// or rediss://), REDIS_USERNAME,
 * REDIS_PASSWORD and REDIS_TLS_CA_FILE. Lazy: no I/O until the first command or start().
 *
 * Failing fast matters more than queueing here: a command waits through at
 * most one reconnect attempt and then fails, so the rules stage gets a
 * retryable DependencyError and retries the whole batch with its own backoff instead of
 * holding records in an unbounded offline queue.
 */
export function createRedis(settings: RedisSettings, opts: CreateRedisOptions = {}): Redis {
  const redis = new Redis(settings.url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    retryStrategy: (attempt) => backoffDelay(attempt, { initialMs: 100, maxMs: 5_000 }),
    ...(opts.connectionName ? { connectionName: opts.connectionName } : {}),
    ...(settings.username !== undefined ? { username: settings.username } : {}),
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: { rejectUnauthorized: settings.tls.rejectUnauthorized, ...(settings.tls.ca ? { ca: settings.tls.ca } : {}) } } : {}),
  });
  // Without a listener ioredis prints every failed reconnect; log the first
  // error of an outage and the recovery, not each retry.
  let down = false;
  redis.on("error", (err: Error) => {
    if (!down) opts.logger?.warn({ err, redis: redactUrl(settings.url) }, "redis unavailable; retrying");
    down = true;
  });
  redis.on("ready", () => {
    if (down) opts.logger?.info({ redis: redactUrl(settings.url) }, "redis reachable again");
    down = false;
  });
  return redis;
}

/**
 * Runs one Redis operation; any failure becomes a DependencyError (retryable). Nothing a
 * record contains can make Redis fail (keys and arguments are opaque strings),
 * so every Redis error is an infrastructure failure: the batch is retried, the
 * record is never dead-lettered for it.
 */
export async function redisCall<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new DependencyError("redis-unavailable", `redis unavailable (${what}): ${(err as Error)?.message ?? String(err)}`, { cause: err });
  }
}

/**
 * The client as a lifecycle component. start() tries to connect but does not
 * fail the service when Redis is down: ioredis keeps reconnecting. With
 * `required` (the default) /readyz reports not ready until the connection is
 * up; the rules service degrades without Redis instead, so it stays ready and
 * shows the outage in /metrics.
 */
export function redisComponent(redis: Redis, logger: Logger, opts: { name?: string; required?: boolean } = {}): Component {
  const name = opts.name ?? "redis";
  const required = opts.required ?? true;
  return {
    name,
    async start() {
      try {
        await redis.connect();
      } catch (err) {
        logger.warn({ err, component: name }, "not connected at start; commands retry until it is");
      }
    },
    async stop() {
      if (redis.status === "end") return;
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
    ready: () => !required || redis.status === "ready",
  };
}

import type { RetryPolicy } from "@dockwatch/errors";
import { ConfigError, duration, int, parseEnv, type Env } from "./env.js";

/**
 * How a service retries, by the error taxonomy (@dockwatch/errors). The one
 * place that owns the defaults; every duration is in ms.
 */
export interface RetrySettings {
  /** A dependency is down (Kafka, Redis, Elasticsearch): retried for as long as it takes. */
  outage: RetryPolicy;
  /**
   * An error without a taxonomy (a bug, a TypeError): retried this few times
   * in case it was a fluke, then the service stops. Never dead-lettered.
   */
  unknown: RetryPolicy;
  /** Waiting for a dependency at start; the caller bounds it with its own startup timeout (maxElapsedMs). */
  startup: RetryPolicy;
}

export const RETRY_DEFAULTS = {
  initialDelay: "200ms",
  maxDelay: "30s",
  unknownAttempts: 3,
  startup: { initialMs: 500, maxMs: 10_000 },
} as const;

/**
 * `<PREFIX>_RETRY_INITIAL_DELAY`, `<PREFIX>_RETRY_MAX_DELAY` (the backoff of
 * every retry) and `<PREFIX>_UNKNOWN_ERROR_ATTEMPTS`, e.g. SINK_RETRY_MAX_DELAY.
 * Without a prefix (libraries' defaults) the names have none.
 */
export function retrySettings(env: Env, prefix = ""): RetrySettings {
  const name = (variable: string) => (prefix ? `${prefix}_${variable}` : variable);
  const initial = name("RETRY_INITIAL_DELAY");
  const max = name("RETRY_MAX_DELAY");
  const attempts = name("UNKNOWN_ERROR_ATTEMPTS");
  const v = parseEnv(
    {
      [initial]: duration(RETRY_DEFAULTS.initialDelay),
      [max]: duration(RETRY_DEFAULTS.maxDelay),
      [attempts]: int(RETRY_DEFAULTS.unknownAttempts, 1, 100),
    },
    env,
  );
  const initialMs = v[initial] as number;
  const maxMs = v[max] as number;
  if (initialMs < 1) throw new ConfigError(initial, "a duration of at least 1ms", env[initial]);
  if (maxMs < initialMs) throw new ConfigError(max, `a duration not shorter than ${initial} (${initialMs}ms)`, env[max]);
  return {
    outage: { initialMs, maxMs },
    unknown: { initialMs, maxMs, maxAttempts: v[attempts] as number },
    startup: { ...RETRY_DEFAULTS.startup },
  };
}

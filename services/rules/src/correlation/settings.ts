import { ConfigError, duration, parseEnv, redisSettings, str, type Env, type RedisSettings } from "@dockwatch/config";

export interface CorrelationSettings {
  redis: RedisSettings;
  /** REDIS_KEY_PREFIX: every key of this deployment starts with it. */
  keyPrefix: string;
  /** CORRELATION_GRACE: how long a frequency window's keys outlive it (late and redelivered events). */
  graceMs: number;
  /** CORRELATION_FIRED_TTL: how long a fired window is remembered (at least the input topic's retention). */
  firedTtlMs: number;
  silentHosts: {
    /** SILENT_HOST_AFTER: an agent that sent nothing for this long is silent. */
    afterMs: number;
    /** SILENT_HOST_CHECK_INTERVAL: how often each instance sweeps. */
    checkIntervalMs: number;
    /** How long a sweep's claim waits for its alert to be produced before another sweep re-emits it. */
    leaseMs: number;
  };
}

/**
 * REDIS_URL / REDIS_USERNAME / REDIS_PASSWORD / REDIS_TLS_CA_FILE (libs/config), plus the
 * correlation settings. SILENT_HOST_AFTER defaults to 2m: four heartbeats of
 * the collector's default HEARTBEAT_INTERVAL (30s), so one late heartbeat
 * never raises an alert.
 */
export function correlationSettings(env: Env): CorrelationSettings {
  const v = parseEnv(
    {
      REDIS_KEY_PREFIX: str("dockwatch:"),
      CORRELATION_GRACE: duration("5m"),
      // Kafka's default retention: a redelivery of the event that fired a window cannot come later.
      CORRELATION_FIRED_TTL: duration("168h"),
      SILENT_HOST_AFTER: duration("2m"),
      SILENT_HOST_CHECK_INTERVAL: duration("15s"),
    },
    env,
  );
  if (v.SILENT_HOST_AFTER <= 0) throw new ConfigError("SILENT_HOST_AFTER", "a duration above 0", env.SILENT_HOST_AFTER);
  if (v.SILENT_HOST_CHECK_INTERVAL <= 0 || v.SILENT_HOST_CHECK_INTERVAL > v.SILENT_HOST_AFTER) {
    throw new ConfigError("SILENT_HOST_CHECK_INTERVAL", "a duration above 0 and at most SILENT_HOST_AFTER", env.SILENT_HOST_CHECK_INTERVAL);
  }
  return {
    redis: redisSettings(env),
    keyPrefix: v.REDIS_KEY_PREFIX,
    graceMs: v.CORRELATION_GRACE,
    firedTtlMs: v.CORRELATION_FIRED_TTL,
    silentHosts: {
      afterMs: v.SILENT_HOST_AFTER,
      checkIntervalMs: v.SILENT_HOST_CHECK_INTERVAL,
      leaseMs: Math.max(30_000, 3 * v.SILENT_HOST_CHECK_INTERVAL),
    },
  };
}

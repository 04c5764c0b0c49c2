import { HEALTH_PORTS } from "@dockwatch/contracts";
import {
  ConfigError,
  duration,
  identitySettings,
  int,
  kafkaSettings,
  optionalStr,
  parseEnv,
  runtimeSettings,
  type Env,
  type IdentitySettings,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import type { RetryPolicy } from "@dockwatch/errors";
import type { RecordBounds } from "./records.js";
import { defaultStateDir, ensureStateDir } from "./state-dir.js";

export interface CollectorRetryPolicies {
  /** Connecting to the Docker engine, first and after every lost stream. */
  engine: RetryPolicy;
  /** Starting the Kafka clients (topics, producer, schema store); events wait in the spool meanwhile. */
  kafka: RetryPolicy;
  /** Sending one batch from the spool again. */
  publish: RetryPolicy;
  /** Errors nobody classified (a bug), in a row, before the collector stops rather than loop. */
  unknownAttempts: number;
}

export interface CollectorConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  identity: IdentitySettings;
  heartbeatMs: number;
  stateDir: string;
  /** Records the spool holds before it drops new engine events (and later reports a gap). */
  spoolMaxEvents: number;
  /** Bytes the spool holds before it drops new engine events (the same policy as spoolMaxEvents). */
  spoolMaxBytes: number;
  /** How long appended records wait to be committed (fsynced) together. */
  spoolFlushMs: number;
  publishBatchMax: number;
  inspectCacheSize: number;
  /** Byte bounds of a record (COLLECTOR_MAX_FIELD_BYTES, _MAP_BYTES, _TEXT_BYTES, _RECORD_BYTES): oversized fields are cut, with a marker. */
  bounds: RecordBounds;
  retry: CollectorRetryPolicies;
  /** How long start waits for the engine before the service goes live without it (not ready). */
  engineWaitMs: number;
  /** How long a stop keeps publishing what the spool holds, when Kafka is up. */
  drainMs: number;
  /** How often an idle publisher looks at the spool without being woken by a commit. */
  publishIdleMs: number;
}

/** Capped exponential backoff between `min` and `max`; a floor above the cap is a typo, not a policy. */
function backoff(variable: string, initialMs: number, maxMs: number): RetryPolicy {
  if (initialMs < 1 || initialMs > maxMs) throw new ConfigError(variable, `a duration of at least 1ms and at most the matching _MAX (${maxMs} ms)`, `${initialMs}ms`);
  return { initialMs, maxMs };
}

/** The collector's settings: the one place that owns their defaults (durations in ms). Only main.ts passes process.env. */
export function loadCollectorConfig(env: Env): CollectorConfig {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost && !/^(unix|tcp|http|https|npipe):\/\/./.test(dockerHost)) {
    throw new ConfigError("DOCKER_HOST", "unix://<socket> or tcp://<host>:<port>", dockerHost);
  }
  if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== "0" && !env.DOCKER_CERT_PATH) {
    // docker-modem would silently fall back to ~/.docker; say which certificates are meant.
    throw new ConfigError("DOCKER_CERT_PATH", "the directory holding ca.pem, cert.pem and key.pem when DOCKER_TLS_VERIFY is set", undefined);
  }
  const v = parseEnv(
    {
      HEARTBEAT_INTERVAL: duration("30s"),
      COLLECTOR_STATE_DIR: optionalStr(),
      COLLECTOR_SPOOL_MAX_EVENTS: int(500_000, 100, 100_000_000),
      COLLECTOR_SPOOL_MAX_BYTES: int(1_073_741_824, 1_048_576, 1_099_511_627_776),
      COLLECTOR_SPOOL_FLUSH: duration("20ms"),
      COLLECTOR_PUBLISH_BATCH: int(500, 1, 10_000),
      COLLECTOR_INSPECT_CACHE: int(10_000, 1, 1_000_000),
      COLLECTOR_RETRY_MIN: duration("500ms"),
      COLLECTOR_RETRY_MAX: duration("30s"),
      COLLECTOR_PUBLISH_RETRY_MIN: duration("200ms"),
      COLLECTOR_PUBLISH_RETRY_MAX: duration("10s"),
      COLLECTOR_UNKNOWN_ERROR_ATTEMPTS: int(5, 1, 1_000),
      COLLECTOR_MAX_FIELD_BYTES: int(8_192, 64, 1_048_576),
      COLLECTOR_MAX_MAP_BYTES: int(131_072, 1_024, 10_485_760),
      COLLECTOR_MAX_TEXT_BYTES: int(262_144, 1_024, 10_485_760),
      // Under Kafka's default message.max.bytes (1048588) with room for headers and batch framing.
      COLLECTOR_MAX_RECORD_BYTES: int(786_432, 16_384, 104_857_600),
    },
    env,
  );
  const connect = backoff("COLLECTOR_RETRY_MIN", v.COLLECTOR_RETRY_MIN, v.COLLECTOR_RETRY_MAX);
  return {
    kafka: kafkaSettings(env, "collector"),
    runtime: runtimeSettings(env, HEALTH_PORTS.collector),
    identity: identitySettings(env),
    heartbeatMs: v.HEARTBEAT_INTERVAL,
    stateDir: ensureStateDir(v.COLLECTOR_STATE_DIR ?? defaultStateDir(process.getuid?.())),
    spoolMaxEvents: v.COLLECTOR_SPOOL_MAX_EVENTS,
    spoolMaxBytes: v.COLLECTOR_SPOOL_MAX_BYTES,
    spoolFlushMs: v.COLLECTOR_SPOOL_FLUSH,
    publishBatchMax: v.COLLECTOR_PUBLISH_BATCH,
    inspectCacheSize: v.COLLECTOR_INSPECT_CACHE,
    bounds: {
      fieldBytes: v.COLLECTOR_MAX_FIELD_BYTES,
      mapBytes: v.COLLECTOR_MAX_MAP_BYTES,
      textBytes: v.COLLECTOR_MAX_TEXT_BYTES,
      recordBytes: v.COLLECTOR_MAX_RECORD_BYTES,
    },
    retry: {
      engine: connect,
      kafka: connect,
      publish: backoff("COLLECTOR_PUBLISH_RETRY_MIN", v.COLLECTOR_PUBLISH_RETRY_MIN, v.COLLECTOR_PUBLISH_RETRY_MAX),
      unknownAttempts: v.COLLECTOR_UNKNOWN_ERROR_ATTEMPTS,
    },
    engineWaitMs: 10_000,
    drainMs: 5_000,
    publishIdleMs: 1_000,
  };
}

import { hostname, networkInterfaces } from "node:os";
import { DEFAULT_DURABILITY, INDEX_PREFIX, TOPICS, alertIndexNames, type AlertIndexNames, type Durability } from "@dockwatch/contracts";
import {
  ConfigError,
  bool,
  fileContents,
  hostPortList,
  int,
  optionalInt,
  indexPrefix,
  logLevel,
  optionalOneOf,
  optionalStr,
  parseEnv,
  port,
  str,
  url,
  type Env,
} from "./env.js";

// The settings every service shares (README "Configuration"). Each function
// turns flat variables into one typed, normalized group, so client factories
// never look at process.env themselves.

export interface TlsSettings {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  ssl: TlsSettings | false;
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
  topics: { raw: string; decoded: string; alerts: string; dlq: string; schemas: string };
  /** Applied to the topics dockwatch creates (README "Durability"); existing topics are only checked. */
  durability: Durability;
}

/** Kafka's own limit on replicas of a partition is far higher; more than this is a typo. */
const MAX_REPLICAS = 16;

/**
 * KAFKA_MIN_INSYNC_REPLICAS defaults to 2 (one broker may be lost without
 * stopping writes), or 1 when the replication factor leaves no room for that;
 * set above the replication factor, every acks=all send would fail.
 */
function kafkaDurability(replicationFactor: number, minInsyncReplicas: number | undefined): Durability {
  if (minInsyncReplicas === undefined) {
    return { replicationFactor, minInsyncReplicas: Math.max(1, Math.min(DEFAULT_DURABILITY.minInsyncReplicas, replicationFactor - 1)) };
  }
  if (minInsyncReplicas > replicationFactor) {
    throw new ConfigError("KAFKA_MIN_INSYNC_REPLICAS", `at most KAFKA_REPLICATION_FACTOR (${replicationFactor})`, String(minInsyncReplicas));
  }
  return { replicationFactor, minInsyncReplicas };
}

export function kafkaSettings(env: Env, service: string): KafkaSettings {
  const v = parseEnv(
    {
      KAFKA_BROKERS: hostPortList("localhost:9092"),
      KAFKA_CLIENT_ID: str(`dockwatch-${service}`),
      KAFKA_SSL: bool(false),
      KAFKA_SSL_CA_FILE: fileContents(),
      KAFKA_SSL_CERT_FILE: fileContents(),
      KAFKA_SSL_KEY_FILE: fileContents(),
      KAFKA_SSL_REJECT_UNAUTHORIZED: bool(true),
      KAFKA_SASL_MECHANISM: optionalOneOf(["plain", "scram-sha-256", "scram-sha-512"] as const),
      KAFKA_SASL_USERNAME: optionalStr(),
      KAFKA_SASL_PASSWORD: optionalStr(),
      TOPIC_RAW: str(TOPICS.raw),
      TOPIC_DECODED: str(TOPICS.decoded),
      TOPIC_ALERTS: str(TOPICS.alerts),
      TOPIC_DLQ: str(TOPICS.dlq),
      TOPIC_SCHEMAS: str(TOPICS.schemas),
      KAFKA_REPLICATION_FACTOR: int(DEFAULT_DURABILITY.replicationFactor, 1, MAX_REPLICAS),
      KAFKA_MIN_INSYNC_REPLICAS: optionalInt(1, MAX_REPLICAS),
    },
    env,
  );
  const durability = kafkaDurability(v.KAFKA_REPLICATION_FACTOR, v.KAFKA_MIN_INSYNC_REPLICAS);
  const tlsFiles = v.KAFKA_SSL_CA_FILE ?? v.KAFKA_SSL_CERT_FILE ?? v.KAFKA_SSL_KEY_FILE;
  let sasl: KafkaSettings["sasl"];
  if (v.KAFKA_SASL_MECHANISM) {
    if (!v.KAFKA_SASL_USERNAME) throw new ConfigError("KAFKA_SASL_USERNAME", "a user name when KAFKA_SASL_MECHANISM is set", undefined);
    if (!v.KAFKA_SASL_PASSWORD) throw new ConfigError("KAFKA_SASL_PASSWORD", "a password when KAFKA_SASL_MECHANISM is set", undefined);
    sasl = { mechanism: v.KAFKA_SASL_MECHANISM, username: v.KAFKA_SASL_USERNAME, password: v.KAFKA_SASL_PASSWORD };
  }
  return {
    brokers: v.KAFKA_BROKERS,
    clientId: v.KAFKA_CLIENT_ID,
    ssl:
      v.KAFKA_SSL || tlsFiles
        ? {
            ca: v.KAFKA_SSL_CA_FILE,
            cert: v.KAFKA_SSL_CERT_FILE,
            key: v.KAFKA_SSL_KEY_FILE,
            rejectUnauthorized: v.KAFKA_SSL_REJECT_UNAUTHORIZED,
          }
        : false,
    ...(sasl ? { sasl } : {}),
    topics: {
      raw: v.TOPIC_RAW,
      decoded: v.TOPIC_DECODED,
      alerts: v.TOPIC_ALERTS,
      dlq: v.TOPIC_DLQ,
      schemas: v.TOPIC_SCHEMAS,
    },
    durability,
  };
}

export interface ElasticsearchSettings {
  url: string;
  apiKey?: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  rejectUnauthorized: boolean;
}

export function elasticsearchSettings(env: Env): ElasticsearchSettings {
  const v = parseEnv(
    {
      ELASTICSEARCH_URL: url("http://localhost:9200", ["http", "https"]),
      ELASTICSEARCH_API_KEY: optionalStr(),
      ELASTICSEARCH_USERNAME: optionalStr(),
      ELASTICSEARCH_PASSWORD: optionalStr(),
      ELASTICSEARCH_CA_FILE: fileContents(),
      ELASTICSEARCH_TLS_REJECT_UNAUTHORIZED: bool(true),
    },
    env,
  );
  if (v.ELASTICSEARCH_USERNAME && !v.ELASTICSEARCH_PASSWORD) {
    throw new ConfigError("ELASTICSEARCH_PASSWORD", "a password when ELASTICSEARCH_USERNAME is set", undefined);
  }
  return {
    url: v.ELASTICSEARCH_URL as string,
    ...(v.ELASTICSEARCH_API_KEY ? { apiKey: v.ELASTICSEARCH_API_KEY } : {}),
    ...(v.ELASTICSEARCH_USERNAME ? { username: v.ELASTICSEARCH_USERNAME, password: v.ELASTICSEARCH_PASSWORD } : {}),
    ...(v.ELASTICSEARCH_CA_FILE ? { ca: v.ELASTICSEARCH_CA_FILE } : {}),
    rejectUnauthorized: v.ELASTICSEARCH_TLS_REJECT_UNAUTHORIZED,
  };
}

/**
 * The alert indices as every reader and writer names them: SINK_INDEX_PREFIX
 * gives the daily indices `<prefix>-YYYY.MM.DD`, the index template (name and
 * pattern) and the alias `<prefix>`. The sink writes them, the dockwatch
 * command searches them; a second pipeline (or a test) sets its own prefix.
 */
export type AlertIndexSettings = AlertIndexNames;

export function alertIndexSettings(env: Env): AlertIndexSettings {
  return alertIndexNames(parseEnv({ SINK_INDEX_PREFIX: indexPrefix(INDEX_PREFIX) }, env).SINK_INDEX_PREFIX);
}

export interface RedisSettings {
  /** redis:// or rediss:// (TLS); user and password may be in the URL. */
  url: string;
  /** An ACL user (Redis 6+); without it Redis takes the password as the `default` user's. */
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; rejectUnauthorized: boolean };
}

export function redisSettings(env: Env): RedisSettings {
  const v = parseEnv(
    {
      REDIS_URL: url("redis://localhost:6379", ["redis", "rediss"]),
      REDIS_USERNAME: optionalStr(),
      REDIS_PASSWORD: optionalStr(),
      REDIS_TLS_CA_FILE: fileContents(),
      REDIS_TLS_REJECT_UNAUTHORIZED: bool(true),
    },
    env,
  );
  const redisUrl = v.REDIS_URL as string;
  const useTls = redisUrl.startsWith("rediss:") || v.REDIS_TLS_CA_FILE !== undefined;
  if (v.REDIS_USERNAME && !v.REDIS_PASSWORD) throw new ConfigError("REDIS_PASSWORD", "a password when REDIS_USERNAME is set", undefined);
  return {
    url: redisUrl,
    ...(v.REDIS_USERNAME ? { username: v.REDIS_USERNAME } : {}),
    ...(v.REDIS_PASSWORD ? { password: v.REDIS_PASSWORD } : {}),
    ...(useTls ? { tls: { ca: v.REDIS_TLS_CA_FILE, rejectUnauthorized: v.REDIS_TLS_REJECT_UNAUTHORIZED } } : {}),
  };
}

export interface IdentitySettings {
  agent: { id: string; name: string; ip: string };
  manager: { name: string };
  cluster: { name: string; node: string };
  location: string;
}

/** The first non-internal IPv4 address: the host's primary interface in practice. */
export function primaryAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

export function identitySettings(env: Env): IdentitySettings {
  const host = hostname();
  const v = parseEnv(
    {
      AGENT_ID: str(host),
      AGENT_NAME: str(host),
      AGENT_IP: str(primaryAddress()),
      MANAGER_NAME: str(host),
      CLUSTER_NAME: str("dockwatch"),
      CLUSTER_NODE: str(host),
      ALERT_LOCATION: str("Wazuh-Docker"),
    },
    env,
  );
  return {
    agent: { id: v.AGENT_ID, name: v.AGENT_NAME, ip: v.AGENT_IP },
    manager: { name: v.MANAGER_NAME },
    cluster: { name: v.CLUSTER_NAME, node: v.CLUSTER_NODE },
    location: v.ALERT_LOCATION,
  };
}

export interface RuntimeSettings {
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  healthPort: number;
}

export function runtimeSettings(env: Env, defaultHealthPort: number): RuntimeSettings {
  const v = parseEnv({ LOG_LEVEL: logLevel(), HEALTH_PORT: port(defaultHealthPort) }, env);
  return { logLevel: v.LOG_LEVEL, healthPort: v.HEALTH_PORT };
}

// The pipeline's topology, defined once: topic names and partitions, consumer
// groups, health ports and the Elasticsearch index names. Config defaults
// (@dockwatch/config, the services' loaders) and the dockwatch command derive
// from these values in code; infra/local and docker-compose.yml, which cannot
// import TypeScript, are checked against them by a unit test
// (libs/test-helpers/test/topology.test.ts). Every name is overridable by env.

/** A topic of the contract (README "Data flow", ARCHITECTURE.md): its default name and how infra creates it. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** cleanup.policy=compact (the schema store keeps the newest value per key). */
  compacted: boolean;
}

/** Partitions of a topic dockwatch creates: the most instances of one consumer group that get work. */
export const DEFAULT_PARTITIONS = 6;

export const TOPIC_SPECS = {
  raw: { name: "docker.events.raw", partitions: DEFAULT_PARTITIONS, compacted: false },
  decoded: { name: "docker.events.decoded", partitions: DEFAULT_PARTITIONS, compacted: false },
  alerts: { name: "alerts", partitions: DEFAULT_PARTITIONS, compacted: false },
  dlq: { name: "dockwatch.dlq", partitions: DEFAULT_PARTITIONS, compacted: false },
  schemas: { name: "dockwatch.schemas", partitions: 1, compacted: true },
} as const satisfies Record<string, TopicSpec>;

export type TopicRole = keyof typeof TOPIC_SPECS;

/**
 * How many copies of each record the cluster keeps (replication factor) and
 * how many of them must have it before an acks=all send succeeds
 * (min.insync.replicas): KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS.
 */
export interface Durability {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/**
 * The default, right for a cluster of 3 brokers or more: any one broker may
 * fail (or restart for an upgrade) without losing an acknowledged record and
 * without stopping writes. dockwatch never lowers it on its own; a cluster
 * with fewer brokers must say so (see SINGLE_BROKER_DURABILITY).
 */
export const DEFAULT_DURABILITY: Durability = { replicationFactor: 3, minInsyncReplicas: 2 };

/**
 * What one broker can give, set explicitly by the single-broker stacks
 * (infra/local's default, docker-compose.yml, `dockwatch up` on infra/local's
 * broker and the tests on it): one copy, so a broker's disk is the only copy.
 */
export const SINGLE_BROKER_DURABILITY: Durability = { replicationFactor: 1, minInsyncReplicas: 1 };

/**
 * The durability a local cluster of `brokers` nodes gets (infra/local spells
 * the same rule in bash; topology.test.ts checks): up to 3 copies, and one
 * broker may be lost without stopping writes whenever there are two or more.
 */
export function durabilityFor(brokers: number): Durability {
  const replicationFactor = Math.max(1, Math.min(3, brokers));
  return { replicationFactor, minInsyncReplicas: Math.max(1, replicationFactor - 1) };
}

/** Default topic names (TOPIC_RAW, TOPIC_DECODED, TOPIC_ALERTS, TOPIC_DLQ, TOPIC_SCHEMAS). */
export const TOPICS = {
  raw: TOPIC_SPECS.raw.name,
  decoded: TOPIC_SPECS.decoded.name,
  alerts: TOPIC_SPECS.alerts.name,
  dlq: TOPIC_SPECS.dlq.name,
  schemas: TOPIC_SPECS.schemas.name,
} as const;

/** Default consumer groups (DECODER_CONSUMER_GROUP, RULES_CONSUMER_GROUP, SINK_CONSUMER_GROUP). */
export const GROUPS = {
  decoder: "dockwatch-decoder",
  rules: "dockwatch-rules",
  sink: "dockwatch-sink",
} as const;

/** Default health ports (HEALTH_PORT), distinct so all four services run on one host. */
export const HEALTH_PORTS = {
  collector: 9481,
  decoder: 9482,
  rules: 9483,
  sink: 9484,
} as const;

/**
 * The header `dockwatch replay` puts on the alerts it produces (value: the
 * replay's run id). The sink creates every other alert (a later, different
 * document under an existing id is refused and dead-lettered as
 * `alert-conflict`) and only for these replaces the indexed one, logging each
 * id. The header is as trustworthy as the alert it rides on: only the rules
 * identity may produce to `alerts` (the Kafka ACLs of the secured setup), and
 * replay runs with that identity's settings.
 */
export const REPLAY_HEADER = "dockwatch.replay";

/** Default SINK_INDEX_PREFIX: daily indices `dockwatch-alerts-YYYY.MM.DD` behind the alias `dockwatch-alerts`. */
export const INDEX_PREFIX = "dockwatch-alerts";

/** The Elasticsearch names that follow from one index prefix. */
export interface AlertIndexNames {
  prefix: string;
  /** The alias every daily index joins: what searches (Kibana, dockwatch status) use. */
  alias: string;
  /** The composable index template the sink installs at start. */
  template: string;
  /** The template's index pattern: every daily index of this prefix. */
  pattern: string;
  /** What precedes YYYY.MM.DD in a daily index name. */
  dailyPrefix: string;
}

export function alertIndexNames(prefix: string = INDEX_PREFIX): AlertIndexNames {
  return { prefix, alias: prefix, template: prefix, pattern: `${prefix}-*`, dailyPrefix: `${prefix}-` };
}

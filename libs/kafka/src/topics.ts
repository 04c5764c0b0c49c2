import { DEFAULT_PARTITIONS, type Durability } from "@dockwatch/contracts";
import { DependencyError } from "@dockwatch/errors";
import type { Logger } from "@dockwatch/runtime";
import type { Admin, ConfigResourceTypes, ITopicConfig } from "kafkajs";

// kafkajs's ConfigResourceTypes enum is not visible to ESM imports (a CommonJS
// export node cannot detect); TOPIC is 2 in the Kafka protocol.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

// Topic creation with the configured durability (README "Durability"). The
// decisions are pure functions below; ensureTopics does the I/O around them.
// dockwatch creates what is missing and only checks what exists: changing
// the replication of a live topic is a reassignment an operator plans, not
// something a service should do at start.

export interface TopicSpec {
  topic: string;
  numPartitions?: number;
  compacted?: boolean;
}

/** What the cluster says of an existing topic: the fewest replicas of any partition, its effective min.insync.replicas. */
export interface ExistingTopic {
  topic: string;
  replicationFactor: number;
  minInsyncReplicas: number | undefined;
}

const MIN_INSYNC = "min.insync.replicas";

/** The specs of topics not in `existing`, once each, in the order given. */
export function missingTopics(specs: TopicSpec[], existing: ReadonlySet<string>): TopicSpec[] {
  const seen = new Set<string>();
  return specs.filter((s) => !existing.has(s.topic) && !seen.has(s.topic) && seen.add(s.topic));
}

/** The createTopics request for `missing`: the configured replication factor and min.insync.replicas on every topic. */
export function topicConfigs(missing: TopicSpec[], durability: Durability): ITopicConfig[] {
  return missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions ?? DEFAULT_PARTITIONS,
    replicationFactor: durability.replicationFactor,
    configEntries: [
      { name: MIN_INSYNC, value: String(durability.minInsyncReplicas) },
      ...(s.compacted ? [{ name: "cleanup.policy", value: "compact" }] : []),
    ],
  }));
}

/**
 * Why `missing` cannot be created on a cluster of `brokers` live brokers, or
 * undefined when it can. dockwatch never lowers the replication factor to fit:
 * a cluster that is only short of brokers for now (one restarting) would get
 * weak topics for good.
 */
export function tooFewBrokers(missing: TopicSpec[], brokers: number, durability: Durability): string | undefined {
  if (missing.length === 0 || brokers >= durability.replicationFactor) return undefined;
  return (
    `cannot create topic${missing.length > 1 ? "s" : ""} ${missing.map((s) => s.topic).join(", ")}: ` +
    `KAFKA_REPLICATION_FACTOR=${durability.replicationFactor} needs ${durability.replicationFactor} brokers and the cluster has ${brokers}; ` +
    `start the missing brokers, or set KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS for a smaller cluster (1 and 1 for a single broker)`
  );
}

/** A warning line for each existing topic that keeps fewer copies, or acknowledges with fewer, than configured. */
export function weakerTopics(existing: ExistingTopic[], durability: Durability): string[] {
  return existing.flatMap((t) => {
    const weaker: string[] = [];
    if (t.replicationFactor < durability.replicationFactor) weaker.push(`replication factor ${t.replicationFactor} < KAFKA_REPLICATION_FACTOR=${durability.replicationFactor}`);
    if (t.minInsyncReplicas !== undefined && t.minInsyncReplicas < durability.minInsyncReplicas) {
      weaker.push(`${MIN_INSYNC} ${t.minInsyncReplicas} < KAFKA_MIN_INSYNC_REPLICAS=${durability.minInsyncReplicas}`);
    }
    if (weaker.length === 0) return [];
    return [`topic ${t.topic} is less durable than configured (${weaker.join(", ")}); dockwatch leaves existing topics as they are: see README "Durability" to raise it`];
  });
}

/** The replicas and effective min.insync.replicas of topics that exist. */
async function describeTopics(admin: Admin, topics: string[]): Promise<ExistingTopic[]> {
  if (topics.length === 0) return [];
  const [metadata, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics }),
    admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [MIN_INSYNC] })) }),
  ]);
  const minInsync = new Map(
    configs.resources.map((r) => {
      const value = r.configEntries.find((e) => e.configName === MIN_INSYNC)?.configValue;
      return [r.resourceName, value === undefined ? undefined : Number(value)] as const;
    }),
  );
  return metadata.topics.map((t) => ({
    topic: t.name,
    replicationFactor: Math.min(...t.partitions.map((p) => p.replicas.length)),
    minInsyncReplicas: minInsync.get(t.name),
  }));
}

/**
 * Why `missing` could not be created when the broker refused the principal
 * (a secured cluster: services have no CREATE, topics are made beforehand).
 * A topic the principal may not even describe looks missing too, so both are said.
 */
export function notAllowedToCreate(missing: TopicSpec[], username: string | undefined): string {
  const names = missing.map((s) => s.topic).join(", ");
  const who = username ? `the Kafka user ${username} (KAFKA_SASL_USERNAME)` : "this client";
  return (
    `topic${missing.length > 1 ? "s" : ""} ${names} missing or not visible to ${who}, which may not create topics: ` +
    `create ${missing.length > 1 ? "them" : "it"} beforehand (infra/local --secure up creates the contract's topics; kafka-topics.sh --create), ` +
    `check TOPIC_RAW, TOPIC_DECODED, TOPIC_ALERTS, TOPIC_DLQ and TOPIC_SCHEMAS, and that its ACLs allow it to use ${missing.length > 1 ? "them" : "it"}`
  );
}

/** Broker answers that the principal is not allowed to create (or see) a topic. */
const AUTHORIZATION_FAILURES = new Set(["TOPIC_AUTHORIZATION_FAILED", "CLUSTER_AUTHORIZATION_FAILED"]);

export interface EnsureTopicsOptions {
  durability: Durability;
  /** Named in the error when the broker refuses to create a missing topic (KAFKA_SASL_USERNAME). */
  username?: string;
  /** Where the warnings about existing, weaker topics go (none: not checked). */
  logger?: Logger;
}

/**
 * Creates the topics that do not exist yet with the configured durability
 * (idempotent), and warns about existing ones that are weaker than configured.
 * A cluster with fewer brokers than the replication factor is a DependencyError
 * that names the settings; so is a missing topic the principal may not create
 * (a secured cluster, where services lack CREATE and topics exist beforehand).
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], { durability, logger, username }: EnsureTopicsOptions): Promise<void> {
  const existing = new Set(await admin.listTopics());
  if (logger) {
    const present = [...new Set(specs.map((s) => s.topic))].filter((t) => existing.has(t));
    try {
      for (const line of weakerTopics(await describeTopics(admin, present), durability)) logger.warn(line);
    } catch (err) {
      // A check, not a precondition: a principal allowed to write but not to describe configs still runs.
      logger.warn({ err }, `could not check the durability of topics ${present.join(", ")}`);
    }
  }
  const missing = missingTopics(specs, existing);
  if (missing.length === 0) return;
  const { brokers } = await admin.describeCluster();
  const refusal = tooFewBrokers(missing, brokers.length, durability);
  if (refusal) throw new DependencyError("kafka-too-few-brokers", refusal);
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topicConfigs(missing, durability) });
  } catch (err) {
    const types = ((err as { errors?: Array<{ type?: string }> }).errors ?? [err as { type?: string }]).map((e) => e.type);
    // Another instance created it between listTopics and createTopics.
    if (types.every((t) => t === "TOPIC_ALREADY_EXISTS")) return;
    if (types.some((t) => t !== undefined && AUTHORIZATION_FAILURES.has(t))) {
      throw new DependencyError("kafka-topic-missing", notAllowedToCreate(missing, username), { cause: err });
    }
    // A broker left between describeCluster and createTopics.
    if (types.includes("INVALID_REPLICATION_FACTOR")) {
      throw new DependencyError("kafka-too-few-brokers", `cannot create topics with KAFKA_REPLICATION_FACTOR=${durability.replicationFactor}: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

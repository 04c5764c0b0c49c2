import { durabilityFor } from "@dockwatch/contracts";

/**
 * The durability settings `dockwatch up` adds for the services it starts.
 * Without KAFKA_BROKERS they talk to infra/local's Kafka, which is one broker
 * unless KAFKA_NODES says more: the topics they create must fit it (the
 * services' own defaults, replication factor 3 and min.insync.replicas 2, are
 * for a real cluster and would be refused there). With KAFKA_BROKERS, or
 * either durability setting, set, nothing is added.
 */
export function localDurabilityEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const set = (name: string) => Boolean(env[name]?.trim());
  if (set("KAFKA_BROKERS") || set("KAFKA_REPLICATION_FACTOR") || set("KAFKA_MIN_INSYNC_REPLICAS")) return {};
  const nodes = Number(env.KAFKA_NODES ?? 1);
  const local = durabilityFor(Number.isInteger(nodes) && nodes > 0 ? nodes : 1);
  return { KAFKA_REPLICATION_FACTOR: String(local.replicationFactor), KAFKA_MIN_INSYNC_REPLICAS: String(local.minInsyncReplicas) };
}

/** The connection settings a service may be given for itself alone (its own Kafka principal, API key, Redis user). */
const OWN_SETTINGS = ["KAFKA_", "ELASTICSEARCH_", "REDIS_"];

/**
 * The settings `dockwatch up` gives one service on top of the shared ones:
 * every `<SERVICE>_KAFKA_*`, `<SERVICE>_ELASTICSEARCH_*` and `<SERVICE>_REDIS_*`
 * variable without its prefix, e.g. DECODER_KAFKA_SASL_USERNAME=decoder is the
 * decoder's KAFKA_SASL_USERNAME. `infra/local --secure env all` prints them
 * for every service, so each runs as its own principal.
 */
export function ownServiceEnv(service: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const prefix = `${service.toUpperCase()}_`;
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith(prefix)) continue;
    const setting = name.slice(prefix.length);
    if (OWN_SETTINGS.some((family) => setting.startsWith(family))) own[setting] = value;
  }
  return own;
}

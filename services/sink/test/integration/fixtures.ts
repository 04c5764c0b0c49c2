import type { Alert } from "@dockwatch/contracts";
import { createKafka, createPipelineClients, type PipelineClients } from "@dockwatch/kafka";
import type { Logger } from "@dockwatch/runtime";
import type { Client } from "@elastic/elasticsearch";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import type { KafkaMessage } from "kafkajs";
import { loadSinkConfig, type SinkConfig } from "../../src/index.js";

export interface AlertSpec {
  id: string;
  /** Source event time, epoch seconds: decides the daily index. */
  eventSeconds: number;
  /** The rules service's processing time (the `timestamp` field). */
  timestamp: string;
  level?: number;
  ruleId?: string;
  groups?: string[];
  agentName?: string;
  container?: string;
  image?: string;
  labels?: Record<string, string>;
  ruleset: string;
}

/** An alert as the rules service writes it, with the parts a test varies. */
export function makeAlert(s: AlertSpec): Alert {
  const time = String(s.eventSeconds);
  const container = s.container ?? "web-1";
  const labels = s.labels ?? { "com.example.team": "blue" };
  return {
    timestamp: s.timestamp,
    rule: {
      level: s.level ?? 3,
      description: `Container ${container} started`,
      id: s.ruleId ?? "87903",
      mail: false,
      groups: s.groups ?? ["docker"],
      pci_dss: [],
      gdpr: [],
      hipaa: [],
      nist_800_53: [],
      tsc: [],
      mitre: { id: [], tactic: [], technique: [] },
    },
    agent: { id: "001", name: s.agentName ?? "agent-a", ip: "127.0.0.1" },
    manager: { name: "m" },
    id: s.id,
    cluster: { name: "c", node: "n" },
    full_log: `{"integration":"docker","docker":{"Action":"start","time":${time}}}`,
    decoder: { name: "json" },
    data: {
      integration: "docker",
      docker: {
        status: "start",
        id: `${container}-id`,
        from: s.image ?? "dockwatch/busybox:1.35.0",
        Type: "container",
        Action: "start",
        Actor: { ID: `${container}-id`, Attributes: { name: container, image: s.image ?? "dockwatch/busybox:1.35.0", ...labels } },
        scope: "local",
        time,
        timeNano: `${time}000000001`,
      },
    },
    location: "Wazuh-Docker",
    dockwatch: { version: "0.1.0", ruleset: s.ruleset, correlation: "ok", truncated: false },
    container: {
      id: `${container}-id`,
      name: container,
      imageName: s.image ?? "dockwatch/busybox:1.35.0",
      labels,
      compose: null,
      kubernetes: null,
      inspect: {
        privileged: (s.level ?? 3) >= 12,
        capAdd: ["NET_ADMIN"],
        mounts: [{ type: "bind", source: "/var/run/docker.sock", destination: "/var/run/docker.sock", readWrite: true }],
        networkMode: "bridge",
        pidMode: null,
        ipcMode: "private",
        utsMode: null,
        user: "0",
        seccompProfile: null,
        apparmorProfile: null,
        restartPolicy: "no",
        image: s.image ?? "dockwatch/busybox:1.35.0",
        imageId: "sha256:0123",
        healthcheck: null,
      },
    },
  };
}

export interface SinkTestbed<E> {
  env: E;
  config: SinkConfig;
  /** The producing side: writes Avro alerts to the sink's own topic. */
  clients: PipelineClients;
}

/**
 * A sink world of its own on the local Kafka and Elasticsearch: its own alerts
 * and DLQ topics, consumer group, index prefix (daily indices, template, alias:
 * never the dockwatch-alerts-* of a running `npm start`), any health port,
 * plus `extra` settings.
 */
export function sinkTestbed<X extends Record<string, string>>(run: string, logger: Logger, extra: X = {} as X) {
  const env = {
    ...infra.kafkaEnv,
    ELASTICSEARCH_URL: infra.elasticsearchUrl,
    TOPIC_ALERTS: `${run}.alerts`,
    SINK_CONSUMER_GROUP: `${run}-sink`,
    TOPIC_DLQ: `${run}.dlq`,
    SINK_INDEX_PREFIX: `${run.toLowerCase()}-alerts`,
    HEALTH_PORT: "0",
    ...extra,
  };
  const config = loadSinkConfig(env);
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["Alert"], topics: [{ topic: env.TOPIC_ALERTS }] });
  return { env, config, clients } satisfies SinkTestbed<typeof env>;
}

/** Deletes what the testbed's sink created in Elasticsearch: its daily indices and its template. */
export async function removeIndices(es: Client, config: SinkConfig): Promise<void> {
  await es.indices.delete({ index: config.indices.pattern, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
  await es.indices.deleteIndexTemplate({ name: config.indices.template }).catch(() => undefined);
}

/**
 * The testbed's dead letters, read from the start of its DLQ by a group of
 * their own: every one seen by the time at least `count` arrived.
 */
export async function deadLetters(config: SinkConfig, logger: Logger, count: number, what: string): Promise<KafkaMessage[]> {
  const consumer = createKafka(config.kafka, logger).consumer({ groupId: unique("dlq-reader") });
  const dead: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: config.kafka.topics.dlq, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    await waitFor(what, async () => dead.length >= count);
    return dead;
  } finally {
    await consumer.disconnect();
  }
}

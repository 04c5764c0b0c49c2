import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_DURABILITY, SINGLE_BROKER_DURABILITY } from "@dockwatch/contracts";
import { DependencyError } from "@dockwatch/errors";
import type { Logger } from "@dockwatch/runtime";
import { infra, unique } from "@dockwatch/test-helpers";
import { Kafka, logLevel, type Admin, type ConfigResourceTypes } from "kafkajs";

const TOPIC_RESOURCE = 2 as ConfigResourceTypes; // not importable from ESM (see src/topics.ts)
import { ensureTopics } from "../../src/index.js";

// ensureTopics against infra/local's single broker: the configured durability
// is what a created topic gets, a replication factor the cluster cannot hold
// is refused with the settings named, and an existing weaker topic is reported.

async function topicDurability(admin: Admin, topic: string) {
  const [meta, configs] = await Promise.all([
    admin.fetchTopicMetadata({ topics: [topic] }),
    admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ["min.insync.replicas"] }] }),
  ]);
  return {
    replicationFactor: meta.topics[0]!.partitions[0]!.replicas.length,
    minInsyncReplicas: Number(configs.resources[0]!.configEntries[0]!.configValue),
  };
}

/** A logger whose warnings land in `lines` (ensureTopics only warns). */
const recordingLogger = (lines: string[]) => ({ warn: (msg: string) => void lines.push(msg) }) as unknown as Logger;

describe("ensureTopics on the single local broker", () => {
  const kafka = new Kafka({ clientId: "topics-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const run = unique("topics");
  const created: string[] = [];
  before(() => admin.connect());
  after(async () => {
    if (created.length) await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.disconnect();
  });

  it("creates a topic with the replication factor and min.insync.replicas it was given", async () => {
    const topic = `${run}.single`;
    created.push(topic);
    await ensureTopics(admin, [{ topic, numPartitions: 1 }], { durability: SINGLE_BROKER_DURABILITY });
    assert.deepEqual(await topicDurability(admin, topic), { replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it("refuses the 3-broker default on one broker with the settings named, and creates nothing", async () => {
    const topic = `${run}.refused`;
    await assert.rejects(
      ensureTopics(admin, [{ topic }], { durability: DEFAULT_DURABILITY }),
      (err: unknown) => err instanceof DependencyError && /KAFKA_REPLICATION_FACTOR=3 needs 3 brokers and the cluster has 1/.test(err.message),
    );
    assert.ok(!(await admin.listTopics()).includes(topic));
  });

  it("warns about an existing topic weaker than configured and leaves it as it is", async () => {
    const topic = `${run}.weak`;
    created.push(topic);
    await ensureTopics(admin, [{ topic, numPartitions: 1 }], { durability: SINGLE_BROKER_DURABILITY });
    const warnings: string[] = [];
    await ensureTopics(admin, [{ topic }], { durability: DEFAULT_DURABILITY, logger: recordingLogger(warnings) });
    assert.deepEqual(warnings, [
      `topic ${topic} is less durable than configured (replication factor 1 < KAFKA_REPLICATION_FACTOR=3, min.insync.replicas 1 < KAFKA_MIN_INSYNC_REPLICAS=2); dockwatch leaves existing topics as they are: see README "Durability" to raise it`,
    ]);
    assert.deepEqual(await topicDurability(admin, topic), { replicationFactor: 1, minInsyncReplicas: 1 }, "not altered");
  });
});

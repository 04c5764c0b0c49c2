import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_DURABILITY, SINGLE_BROKER_DURABILITY } from "@dockwatch/contracts";
import { missingTopics, notAllowedToCreate, tooFewBrokers, topicConfigs, weakerTopics } from "../src/index.js";

// The decisions of topic creation, without a broker (the real-Kafka side is
// test/integration/topics.test.ts and test/cluster/three-brokers.test.ts).

describe("topics: what is created, and how durable", () => {
  it("creates only the missing topics, once each", () => {
    const missing = missingTopics([{ topic: "a" }, { topic: "b" }, { topic: "a" }, { topic: "c" }], new Set(["b"]));
    assert.deepEqual(missing.map((s) => s.topic), ["a", "c"]);
  });

  it("asks for the configured replication factor and min.insync.replicas on every topic, compaction where the spec says", () => {
    assert.deepEqual(topicConfigs([{ topic: "events" }, { topic: "schemas", numPartitions: 1, compacted: true }], DEFAULT_DURABILITY), [
      { topic: "events", numPartitions: 6, replicationFactor: 3, configEntries: [{ name: "min.insync.replicas", value: "2" }] },
      {
        topic: "schemas",
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [
          { name: "min.insync.replicas", value: "2" },
          { name: "cleanup.policy", value: "compact" },
        ],
      },
    ]);
    assert.equal(topicConfigs([{ topic: "x" }], SINGLE_BROKER_DURABILITY)[0]!.replicationFactor, 1);
  });

  it("refuses a replication factor above the broker count, naming the topics and both settings, instead of lowering it", () => {
    const refusal = tooFewBrokers([{ topic: "alerts" }, { topic: "dockwatch.dlq" }], 1, DEFAULT_DURABILITY);
    assert.equal(
      refusal,
      "cannot create topics alerts, dockwatch.dlq: KAFKA_REPLICATION_FACTOR=3 needs 3 brokers and the cluster has 1; " +
        "start the missing brokers, or set KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS for a smaller cluster (1 and 1 for a single broker)",
    );
    assert.match(tooFewBrokers([{ topic: "alerts" }], 2, DEFAULT_DURABILITY)!, /^cannot create topic alerts: .* the cluster has 2;/);
    assert.equal(tooFewBrokers([{ topic: "alerts" }], 3, DEFAULT_DURABILITY), undefined);
    assert.equal(tooFewBrokers([{ topic: "alerts" }], 1, SINGLE_BROKER_DURABILITY), undefined);
    assert.equal(tooFewBrokers([], 1, DEFAULT_DURABILITY), undefined, "nothing to create: the broker count does not matter");
  });

  it("says, when a principal may not create a missing topic, which topics, which user, and what to do", () => {
    assert.equal(
      notAllowedToCreate([{ topic: "alerts" }], "rules"),
      "topic alerts missing or not visible to the Kafka user rules (KAFKA_SASL_USERNAME), which may not create topics: " +
        "create it beforehand (infra/local --secure up creates the contract's topics; kafka-topics.sh --create), " +
        "check TOPIC_RAW, TOPIC_DECODED, TOPIC_ALERTS, TOPIC_DLQ and TOPIC_SCHEMAS, and that its ACLs allow it to use it",
    );
    assert.match(notAllowedToCreate([{ topic: "a" }, { topic: "b" }], undefined), /^topics a, b missing or not visible to this client, .*create them beforehand/);
  });

  it("warns about each existing topic weaker than configured, and says what is weaker", () => {
    const lines = weakerTopics(
      [
        { topic: "alerts", replicationFactor: 1, minInsyncReplicas: 1 },
        { topic: "raw", replicationFactor: 3, minInsyncReplicas: 1 },
        { topic: "decoded", replicationFactor: 3, minInsyncReplicas: 2 },
        { topic: "dlq", replicationFactor: 5, minInsyncReplicas: 3 },
      ],
      DEFAULT_DURABILITY,
    );
    assert.deepEqual(lines, [
      'topic alerts is less durable than configured (replication factor 1 < KAFKA_REPLICATION_FACTOR=3, min.insync.replicas 1 < KAFKA_MIN_INSYNC_REPLICAS=2); dockwatch leaves existing topics as they are: see README "Durability" to raise it',
      'topic raw is less durable than configured (min.insync.replicas 1 < KAFKA_MIN_INSYNC_REPLICAS=2); dockwatch leaves existing topics as they are: see README "Durability" to raise it',
    ]);
    assert.deepEqual(weakerTopics([{ topic: "alerts", replicationFactor: 1, minInsyncReplicas: 1 }], SINGLE_BROKER_DURABILITY), []);
  });
});

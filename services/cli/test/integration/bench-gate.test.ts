import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Kafka, logLevel, type Admin, type Consumer } from "kafkajs";
import { holdInput } from "../../scripts/bench/gate.js";

// The bench's held input (scripts/bench/gate.ts) on the real broker: a
// read-committed consumer, as every dockwatch stage is, sees none of the copy
// until the release, then all of it in its partitions with keys, values and
// headers; a release whose group never fills aborts the copy.

const PARTITIONS = 3;
const RECORDS = 90;

describe("bench held input", () => {
  const kafka = new Kafka({ clientId: "bench-gate-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  const run = unique("bench-gate");
  const source = `${run}.source`;
  const consumers: Consumer[] = [];
  const topics = [source];

  before(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: source, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: source, messages: Array.from({ length: RECORDS }, (_, i) => ({ partition: i % PARTITIONS, key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })) });
    await producer.disconnect();
  });
  after(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  /** A read-committed member of `groupId` on `topic`, collecting "partition key value n". */
  async function follow(topic: string, groupId: string): Promise<string[]> {
    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void seen.push(`${partition} ${String(message.key)} ${String(message.value)} ${String(message.headers?.n)}`) });
    return seen;
  }

  async function target(name: string): Promise<string> {
    const topic = `${run}.${name}`;
    topics.push(topic);
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
    return topic;
  }

  it("shows the copy only once released, whole and in its partitions, and drains at `records`", async () => {
    const held = await holdInput(kafka, admin, source, await target("held"), `${run}-held`);
    assert.equal(held.records, RECORDS);
    const groupId = `${run}-group`;
    const seen = await follow(held.topic, groupId);
    await waitFor("the group to be stable", async () => (await admin.describeGroups([groupId])).groups[0]?.state === "Stable");
    // The consumer fetches in a loop; two seconds of it and still nothing of the open transaction.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(seen.length, 0, seen.join("; "));
    await held.release([{ groupId, members: 1 }], 30_000);
    await waitFor("the copy", async () => seen.length >= RECORDS);
    const want = Array.from({ length: RECORDS }, (_, i) => `${i % PARTITIONS} k${i} v${i} ${i}`);
    assert.deepEqual([...seen].sort(), [...want].sort());
    // Each partition's records in their order.
    for (let p = 0; p < PARTITIONS; p++) {
      assert.deepEqual(
        seen.filter((s) => s.startsWith(`${p} `)),
        want.filter((s) => s.startsWith(`${p} `)),
      );
    }
    // The commit marker is one offset more per partition: the data ends at `records`.
    const ends = await admin.fetchTopicOffsets(held.topic);
    assert.equal(
      ends.reduce((n, p) => n + Number(p.high), 0),
      RECORDS + PARTITIONS,
    );
  });

  it("aborts the copy when the groups do not fill in time", async () => {
    const held = await holdInput(kafka, admin, source, await target("unfilled"), `${run}-unfilled`);
    const groupId = `${run}-lonely`;
    const seen = await follow(held.topic, groupId);
    await assert.rejects(held.release([{ groupId, members: 2 }], 1500), /not stable within 1.5 s \(.*1 of 2 members\)/);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(seen.length, 0, seen.join("; "));
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { alertDocument } from "@dockwatch/contracts";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { DLQ_HEADERS } from "@dockwatch/kafka";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../../src/index.js";
import { deadLetters, makeAlert, removeIndices, sinkTestbed } from "./fixtures.js";

// A round larger than one `_bulk`: the sink indexes it a slice of
// SINK_BULK_MAX_DOCS at a time with SINK_BULK_IN_FLIGHT requests in flight
// (issue 13). Every slice must be indexed, the bad records of any slice
// dead-lettered, and the offsets committed once, after all of it.

const logger = createLogger("sink-slices-test", process.env.LOG_LEVEL ?? "warn");

describe("sink: a round of many `_bulk` slices, two in flight", () => {
  const run = unique("sink-slices");
  const { env, config, clients } = sinkTestbed(run, logger, { SINK_BULK_MAX_DOCS: "7", SINK_BULK_IN_FLIGHT: "2" });
  const es = new Client({ node: infra.elasticsearchUrl });
  let sink: RunningService | undefined;
  const admin = clients.kafka.admin();

  before(async () => {
    for (const c of clients.components) await c.start();
    await admin.connect();
  });
  after(async () => {
    await sink?.stop("test done");
    await admin.disconnect();
    for (const c of [...clients.components].reverse()) await c.stop();
    await removeIndices(es, config);
    await es.close();
  });

  it("indexes every slice of a 60-record round, dead-letters the bad ones among them, and commits the round's end", async () => {
    const spec = (n: number) => ({ id: `${run}-${n}`, eventSeconds: 1_764_000_000 + n, timestamp: "2025-11-24T16:00:00.000+0000", ruleset: run });
    // All 60 on one partition (one key) before the sink starts: one fetch, one round of 9 slices.
    const values = Array.from({ length: 60 }, (_, n) => {
      // In the third slice: an alert by its contract that the template's date format refuses.
      if (n === 20) return Buffer.from(JSON.stringify({ ...alertDocument(makeAlert(spec(n))), timestamp: "2025-11-24 16:00:00" }));
      // In the sixth: bytes that are no alert at all.
      if (n === 40) return Buffer.from([0x00, 0xff, 0x13]);
      return clients.codec.encode("Alert", makeAlert(spec(n)));
    });
    await clients.producer.send({ topic: env.TOPIC_ALERTS, acks: -1, messages: values.map((value) => ({ key: run, value })) });
    sink = await startSink(config, logger);

    const count = async () => {
      await es.indices.refresh({ index: config.indices.alias });
      return (await es.count({ index: config.indices.alias, query: { term: { "dockwatch.ruleset": run } } })).count;
    };
    await waitFor("58 documents", async () => (await count()) === 58);
    const ends = await admin.fetchTopicOffsets(env.TOPIC_ALERTS);
    await waitFor("the round committed to the topic's end", async () => {
      const [committed] = await admin.fetchOffsets({ groupId: env.SINK_CONSUMER_GROUP, topics: [env.TOPIC_ALERTS] });
      // A partition nothing was written to has no commit (-1): nothing to commit there.
      return ends.every((e) => e.offset === "0" || committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.offset);
    });
    const ids = (await es.search({ index: config.indices.alias, size: 100, _source: ["id"], query: { term: { "dockwatch.ruleset": run } } })).hits.hits.map((h) => (h._source as { id: string }).id);
    assert.deepEqual(ids.sort(), Array.from({ length: 60 }, (_, n) => n).filter((n) => n !== 20 && n !== 40).map((n) => `${run}-${n}`).sort());

    const dead = await deadLetters(config, logger, 2, "two dead letters");
    assert.equal(dead.length, 2);
    const reasonOf = (value: Buffer) => String(dead.find((m) => m.value!.equals(value))?.headers?.[DLQ_HEADERS.reason]);
    assert.equal(reasonOf(values[20]!), "es-rejected", "the refused alert, with its original bytes");
    assert.match(reasonOf(values[40]!), /^(not-avro|unknown-schema|malformed)$/, "the undecodable record, with its original bytes");
  });
});

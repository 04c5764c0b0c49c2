import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { DLQ_HEADERS } from "@dockwatch/kafka";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../../src/index.js";
import { deadLetters, makeAlert, removeIndices, sinkTestbed } from "./fixtures.js";

// Nothing on the alerts topic can stall the sink: each hostile message below
// goes to the DLQ with a reason, and the alert produced after all of them is
// indexed. The first one is issue 12's poison: `{"id":"poison"}` used to reach
// indexFor, throw a TypeError and stop the sink's consumer for good.

const logger = createLogger("sink-hostile-test", process.env.LOG_LEVEL ?? "warn");
// 2024-06-03T00:00:00Z
const DAY = 1_717_372_800;

describe("hostile messages on the alerts topic (real Kafka and Elasticsearch)", () => {
  const run = unique("hostile");
  const { env, config, clients } = sinkTestbed(run, logger, { SINK_FLUSH_INTERVAL: "100ms" });
  const es = new Client({ node: infra.elasticsearchUrl, maxRetries: 0 });
  let sink: RunningService | undefined;
  const alert = (n: number) => makeAlert({ id: `${DAY + n}.${run}.${n}`, eventSeconds: DAY + n, timestamp: new Date((DAY + n) * 1000).toISOString(), ruleset: run });

  before(async () => {
    for (const c of clients.components) await c.start();
    sink = await startSink(config, logger);
  });
  after(async () => {
    await sink?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
    await removeIndices(es, config);
    await es.close();
  });

  it("dead-letters each hostile message with a reason and indexes the alert after them", async () => {
    const good = clients.codec.encode("Alert", alert(1));
    const hostile: Array<[string, Buffer]> = [
      ["poison JSON", Buffer.from(JSON.stringify({ id: "poison" }))],
      ["JSON with a wrong type", Buffer.from(JSON.stringify({ ...alert(2), data: { docker: { time: { nested: true } } } }))],
      ["garbage bytes", Buffer.from([0x00, 0xff, 0x13, 0x37, 0x42])],
      ["truncated Avro", good.subarray(0, good.length - 40)],
      ["wrong schema (a DockerEvent header)", Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from(clients.codec.fingerprint("DockerEvent"), "hex"), Buffer.alloc(30)])],
      ["valid Avro, absurd time", clients.codec.encode("Alert", { ...alert(3), data: { ...alert(3).data, docker: { ...alert(3).data.docker, time: "not a time" } }, timestamp: "never" })],
      ["valid Avro, empty id", clients.codec.encode("Alert", { ...alert(4), id: "" })],
    ];
    await clients.producer.send({
      topic: env.TOPIC_ALERTS,
      acks: -1,
      messages: [...hostile.map(([, value]) => ({ key: "k", value })), { key: "k", value: good }],
    });

    await waitFor("the alert after the hostile messages indexed", async () => {
      await es.indices.refresh({ index: config.indices.pattern, allow_no_indices: true, ignore_unavailable: true });
      const res = await es.count({ index: config.indices.pattern, allow_no_indices: true, ignore_unavailable: true });
      return res.count === 1;
    });

    const dead = await deadLetters(config, logger, hostile.length, "every hostile message dead-lettered");
    assert.equal(dead.length, hostile.length, "one dead letter per hostile message");
    hostile.forEach(([what, value], i) => {
      const letter = dead.find((m) => m.value!.equals(value));
      assert.ok(letter, `${what} (#${i}) is in the DLQ with its original bytes`);
      assert.equal(String(letter.headers?.[DLQ_HEADERS.stage]), "sink", what);
      assert.ok(String(letter.headers?.[DLQ_HEADERS.reason] ?? "").length > 0, `${what} has a reason`);
      assert.ok(String(letter.headers?.[DLQ_HEADERS.error] ?? "").length > 0, `${what} has an error text`);
    });
    const res = await fetch(`http://127.0.0.1:${sink!.healthPort}/readyz`);
    assert.equal(res.status, 200, "the sink is still ready");
  });
});

import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { REPLAY_HEADER } from "@dockwatch/contracts";
import { DLQ_HEADERS, createKafka } from "@dockwatch/kafka";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import type { Consumer, KafkaMessage } from "kafkajs";
import { startSink } from "../../src/index.js";
import { makeAlert, removeIndices, sinkTestbed } from "./fixtures.js";

// Integrity of alerts (issue 14), on the real Kafka and Elasticsearch: an
// alert is created once; a later, different document under its id (a forged
// or stale message on the alerts topic) never replaces it and goes to the DLQ
// as alert-conflict; a redelivery of the same alert is absorbed; only a record
// of `dockwatch replay` (REPLAY_HEADER) replaces the indexed alert, and the
// sink logs each id it replaced.

describe("sink: an indexed alert is never silently replaced", () => {
  const run = unique("sink-integrity");
  const lines: string[] = [];
  const logger = createLogger(
    "sink",
    "info",
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    }),
  );
  const { env, config, clients } = sinkTestbed(run, logger);
  const es = new Client({ node: infra.elasticsearchUrl });
  const dead: KafkaMessage[] = [];
  let dlqReader: Consumer;
  let sink: RunningService;

  const original: Alert = makeAlert({ id: `1764000100.${run}`, eventSeconds: 1_764_000_100, timestamp: "2025-11-24T16:01:40.015+0000", level: 3, ruleset: "r1" });
  const encode = (a: Alert) => clients.codec.encode("Alert", a);
  const send = (value: Buffer, headers?: Record<string, string>) =>
    clients.producer.send({ topic: env.TOPIC_ALERTS, acks: -1, messages: [{ key: "k", value, ...(headers ? { headers } : {}) }] });
  const indexed = async () => {
    const doc = await es.get({ index: `${config.indices.dailyPrefix}2025.11.24`, id: original.id });
    return { source: doc._source as { rule: { level: number; description: string }; timestamp: string }, seqNo: doc._seq_no, version: doc._version };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${sink.healthPort}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`dockwatch_sink_${name} `));
    return line === undefined ? 0 : Number(line.split(" ")[1]);
  };

  before(async () => {
    for (const c of clients.components) await c.start();
    sink = await startSink(config, logger);
    dlqReader = createKafka(config.kafka, logger).consumer({ groupId: `${run}-dlq-reader` });
    await dlqReader.connect();
    await dlqReader.subscribe({ topic: env.TOPIC_DLQ, fromBeginning: true });
    await dlqReader.run({ eachMessage: async ({ message }) => void dead.push(message) });
    await send(await encode(original));
    await waitFor("the original alert indexed", async () => (await indexed().catch(() => undefined))?.source);
  });
  after(async () => {
    await dlqReader?.disconnect();
    await sink?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
    await removeIndices(es, config);
    await es.close();
  });

  it("a forged alert with an existing id and different content leaves the indexed document as it was and lands in the DLQ as alert-conflict", async () => {
    const before = await indexed();
    const forged = await encode({ ...original, rule: { ...original.rule, level: 0, description: "nothing to see here" } });
    await send(forged);
    await waitFor("the forged alert in the DLQ", async () => dead.length >= 1);
    assert.equal(dead.length, 1);
    assert.equal(String(dead[0]!.headers?.[DLQ_HEADERS.stage]), "sink");
    assert.equal(String(dead[0]!.headers?.[DLQ_HEADERS.reason]), "alert-conflict");
    assert.match(String(dead[0]!.headers?.[DLQ_HEADERS.error]), new RegExp(`alert ${original.id.replace(/\./g, "\\.")} is already indexed`));
    assert.ok(dead[0]!.value!.equals(forged), "the forged record's own bytes, for an analyst to look at");
    const after = await indexed();
    assert.deepEqual(after, before, "same document, same _seq_no and _version: not written at all");
    assert.equal(after.source.rule.level, 3);
    assert.equal(await metric("alerts_conflicting_total"), 1);
    const warning = lines.find((l) => l.includes("alert-conflict") && l.includes(original.id));
    assert.ok(warning, "a warning names the id");
    assert.equal((JSON.parse(warning) as { rule: string }).rule, original.rule.id, "and the rule");
  });

  it("a byte-identical redelivery, and the same event evaluated again later, are absorbed as duplicates", async () => {
    const before = await indexed();
    await send(await encode(original));
    await send(await encode({ ...original, timestamp: "2025-11-24T16:09:00.000+0000", dockwatch: { ...original.dockwatch, correlation: "unavailable" } }));
    await waitFor("two duplicates counted", async () => (await metric("alerts_duplicate_total")) === 2);
    assert.deepEqual(await indexed(), before, "not written");
    assert.equal(dead.length, 1, "nothing more in the DLQ than the forged alert");
    assert.equal(await metric("alerts_conflicting_total"), 1);
  });

  it("a replayed alert (REPLAY_HEADER) replaces the indexed one, and the sink logs the id", async () => {
    const before = await indexed();
    const replayed = { ...original, timestamp: "2025-11-24T17:00:00.000+0000", rule: { ...original.rule, level: 7, description: "Container web-1 started (local override)" } };
    await send(await encode(replayed), { [REPLAY_HEADER]: `${run}-replay` });
    await waitFor("the replayed level indexed", async () => (await indexed()).source.rule.level === 7);
    const after = await indexed();
    assert.equal(after.source.rule.description, "Container web-1 started (local override)");
    assert.ok(after.version! > before.version!, "a new version of the same document");
    assert.equal(await metric("alerts_replaced_total"), 1);
    assert.ok(
      lines.some((l) => l.includes(`replay ${run}-replay replaced alert ${original.id}`)),
      "the replacement is logged with the replay's run id and the alert id",
    );
    assert.equal(dead.length, 1, "a replay is no conflict");
  });
});

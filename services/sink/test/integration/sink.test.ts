import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { REPLAY_HEADER, alertDocument } from "@dockwatch/contracts";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { DLQ_HEADERS } from "@dockwatch/kafka";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../../src/index.js";
import { deadLetters, removeIndices, sinkTestbed } from "./fixtures.js";

// The sink against the real Kafka and the real Elasticsearch: redelivered
// alerts are absorbed, a changed alert from `dockwatch replay` (its header)
// replaces the old one, and a document Elasticsearch rejects goes to the DLQ
// while its batch is indexed. A changed alert without the header is refused:
// integrity.test.ts.

const logger = createLogger("sink-test", process.env.LOG_LEVEL ?? "warn");

function alert(actor: string, n: number, description = `Container c${n} started`): Alert {
  const time = String(1_764_000_000 + n);
  return {
    timestamp: "2025-11-24T16:00:00.000+0000",
    rule: { level: 3, description, id: "87903", mail: false, groups: ["docker"], pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: { id: [], tactic: [], technique: [] } },
    agent: { id: "001", name: "sink-test", ip: "127.0.0.1" },
    manager: { name: "m" },
    id: `${time}.${actor}${n}`,
    cluster: { name: "c", node: "n" },
    full_log: "{}",
    decoder: { name: "json" },
    data: {
      integration: "docker",
      docker: { status: "start", id: actor, from: "img", Type: "container", Action: "start", Actor: { ID: actor, Attributes: { name: `c${n}`, "com.example.team": "blue" } }, scope: "local", time, timeNano: `${time}000000001` },
    },
    location: "Wazuh-Docker",
    dockwatch: { version: "0.1.0", ruleset: "t", correlation: "ok", truncated: false },
    container: { id: actor, name: `c${n}`, imageName: "img", labels: { "com.example.team": "blue" }, compose: null, kubernetes: null, inspect: null },
  };
}

describe("sink on the real Kafka and Elasticsearch", () => {
  const run = unique("sink");
  const actor = run.replace(/\W/g, "");
  const { env, config, clients } = sinkTestbed(run, logger);
  const es = new Client({ node: infra.elasticsearchUrl });
  let sink: RunningService;

  const count = async () => {
    await es.indices.refresh({ index: config.indices.alias });
    const res = await es.count({ index: config.indices.alias, query: { term: { "data.docker.Actor.ID": actor } } });
    return res.count;
  };

  before(async () => {
    for (const c of clients.components) await c.start();
    sink = await startSink(config, logger);
  });
  after(async () => {
    await sink.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
    await removeIndices(es, config);
    await es.close();
  });

  it("the same alerts consumed twice give the same documents; a changed alert from a replay replaces the old one", async () => {
    const alerts = [1, 2, 3].map((n) => alert(actor, n));
    const send = (list: Alert[]) =>
      clients.producer.send({ topic: env.TOPIC_ALERTS, acks: -1, messages: list.map((a) => ({ key: actor, value: clients.codec.encode("Alert", a) })) });
    await send(alerts);
    await waitFor("3 documents", async () => (await count()) === 3);
    await send(alerts);
    await clients.producer.send({
      topic: env.TOPIC_ALERTS,
      acks: -1,
      messages: [{ key: actor, value: clients.codec.encode("Alert", alert(actor, 2, "Container c2 started (replayed)")), headers: { [REPLAY_HEADER]: `${run}-replay` } }],
    });
    await waitFor("the replayed description", async () => {
      await es.indices.refresh({ index: config.indices.alias });
      const doc = await es.search({ index: config.indices.alias, query: { term: { id: alerts[1]!.id } } });
      return (doc.hits.hits[0]?._source as { rule: { description: string } } | undefined)?.rule.description === "Container c2 started (replayed)";
    });
    assert.equal(await count(), 3, "redelivered and replayed alerts overwrote themselves");
  });

  it("a document Elasticsearch rejects goes to the DLQ while the rest of its batch is indexed", async () => {
    const good = alert(actor, 10);
    // A valid alert by its contract (a date JavaScript reads) that the template's date format refuses.
    const bad = { ...alertDocument(alert(actor, 11)), timestamp: "2025-11-24 16:00:00" };
    await clients.producer.send({
      topic: env.TOPIC_ALERTS,
      acks: -1,
      messages: [
        { key: actor, value: clients.codec.encode("Alert", good) },
        { key: actor, value: Buffer.from(JSON.stringify(bad)) },
      ],
    });
    await waitFor("the good alert indexed", async () => (await count()) === 4);

    const dead = await deadLetters(config, logger, 1, "the dead letter");
    assert.equal(dead.length, 1);
    assert.equal(String(dead[0]!.headers?.[DLQ_HEADERS.stage]), "sink");
    assert.equal(String(dead[0]!.headers?.[DLQ_HEADERS.reason]), "es-rejected");
    assert.match(String(dead[0]!.headers?.[DLQ_HEADERS.error]), /timestamp/);
    assert.equal(dead[0]!.value!.toString(), JSON.stringify(bad), "the original bytes");
  });
});

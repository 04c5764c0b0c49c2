import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../../src/index.js";
import { makeAlert, removeIndices, sinkTestbed } from "./fixtures.js";

// An index that refuses writes is the cluster's problem, not the alerts': the
// sink holds its batch (not ready, with the reason on /readyz, a metric, an
// error line) until an operator fixes it, then indexes everything, and
// dead-letters nothing. On the real Elasticsearch, on this test's own index:
// closed (index_closed_exception), then write-blocked (index.blocks.write:
// cluster_block_exception). Before, each such alert went to the DLQ.

const logger = createLogger("sink-refusals-test", process.env.LOG_LEVEL ?? "fatal");
// 2024-06-04T00:00:00Z
const DAY = 1_717_459_200;

describe("an index that refuses writes holds the sink (real Elasticsearch)", () => {
  const run = unique("refusals");
  const { env, config, clients } = sinkTestbed(run, logger, { SINK_FLUSH_INTERVAL: "100ms", SINK_RETRY_MAX_DELAY: "1s" });
  const es = new Client({ node: infra.elasticsearchUrl, maxRetries: 0 });
  const index = `${config.indices.dailyPrefix}2024.06.04`;
  let sink: RunningService | undefined;

  const alert = (n: number): Alert => makeAlert({ id: `${DAY + n}.${run}.${n}`, eventSeconds: DAY + n, timestamp: new Date((DAY + n) * 1000).toISOString(), ruleset: run });
  const send = (a: Alert) => clients.producer.send({ topic: env.TOPIC_ALERTS, acks: -1, messages: [{ key: "k", value: clients.codec.encode("Alert", a) }] });
  const indexed = async () => {
    await es.indices.refresh({ index });
    return (await es.count({ index })).count;
  };
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${sink!.healthPort}/readyz`);
    return { status: res.status, body: await res.text() };
  };
  const metric = async (name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${sink!.healthPort}/metrics`)).text();
    return Number(text.match(new RegExp(`^dockwatch_sink_${name} (\\S+)$`, "m"))?.[1]);
  };
  const dlqSize = async () => {
    const admin = clients.kafka.admin();
    await admin.connect();
    try {
      return (await admin.fetchTopicOffsets(env.TOPIC_DLQ)).reduce((sum, p) => sum + Number(p.high), 0);
    } finally {
      await admin.disconnect();
    }
  };
  /** `refuse` the index, send one alert, see the sink hold with `code`, `fix` it, see the alert indexed. */
  async function heldUntilFixed(n: number, code: string, refuse: () => Promise<unknown>, fix: () => Promise<unknown>) {
    const before = await indexed();
    await refuse();
    try {
      await send(alert(n));
      const held = await waitFor(`the sink to hold with ${code}`, async () => {
        const r = await readyz();
        return r.status === 503 && r.body.includes(code) ? r : undefined;
      });
      assert.match(held.body, /elasticsearch: es-/);
      assert.equal(await metric("indexing_held"), 1);
    } finally {
      await fix();
    }
    await waitFor("the held alert indexed once the index is fixed", async () => (await indexed()) === before + 1);
    await waitFor("ready again", async () => (await readyz()).status === 200);
    assert.equal(await metric("indexing_held"), 0);
  }

  before(async () => {
    for (const c of clients.components) await c.start();
    sink = await startSink(config, logger);
    await send(alert(0));
    await waitFor("the day's index created with the first alert", async () => (await es.indices.exists({ index })) && (await indexed()) === 1);
  });
  after(async () => {
    await sink?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
    await es.indices.open({ index }).catch(() => undefined);
    await removeIndices(es, config);
    await es.close();
  });

  it("a closed index holds the batch until it is opened", async () => {
    await heldUntilFixed(1, "es-index-closed", () => es.indices.close({ index }), () => es.indices.open({ index, wait_for_active_shards: 1 }));
    assert.equal(await dlqSize(), 0, "nothing dead-lettered");
  });

  it("a write block holds the batch until it is lifted", async () => {
    const block = (on: boolean) => es.indices.putSettings({ index, settings: { "index.blocks.write": on } });
    await heldUntilFixed(2, "es-write-blocked", () => block(true), () => block(false));
    assert.equal(await dlqSize(), 0, "nothing dead-lettered");
  });
});

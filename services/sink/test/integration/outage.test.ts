import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, infraLocal, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../../src/index.js";
import { makeAlert, removeIndices, sinkTestbed } from "./fixtures.js";

// Elasticsearch stopped and restarted mid-stream (infra/local stop/start, the
// real process): the sink holds its batch, resumes, and every alert sent is
// indexed exactly once; nothing of the outage is dead-lettered. A reduced run;
// `npm run chaos -w services/sink` is the long one.

const logger = createLogger("sink-outage-test", process.env.LOG_LEVEL ?? "warn");
const TOTAL = 200;
// 2024-06-02T00:00:00Z
const DAY = 1_717_286_400;

describe("Elasticsearch outage mid-stream (real infra/local stop and start)", () => {
  const run = unique("outage");
  const { env, config, clients } = sinkTestbed(run, logger, {
    SINK_FLUSH_INTERVAL: "100ms",
    SINK_BULK_MAX_DOCS: "25",
    // Short backoff cap so the sink notices Elasticsearch's return soon after.
    SINK_RETRY_MAX_DELAY: "2s",
  });
  const es = new Client({ node: infra.elasticsearchUrl, maxRetries: 0 });
  let sink: RunningService | undefined;

  const alerts: Alert[] = Array.from({ length: TOTAL }, (_, n) =>
    makeAlert({
      id: `${DAY + n}.${run}.${n}`,
      eventSeconds: DAY + n,
      timestamp: new Date((DAY + n) * 1000 + 15).toISOString(),
      container: `c${n % 7}`,
      ruleset: run,
    }),
  );
  const send = (list: Alert[]) =>
    clients.producer.send({ topic: env.TOPIC_ALERTS, acks: -1, messages: list.map((a) => ({ key: a.data.docker.id, value: clients.codec.encode("Alert", a) })) });
  const indexed = async () => {
    await es.indices.refresh({ index: config.indices.alias });
    return (await es.count({ index: config.indices.alias, query: { term: { "dockwatch.ruleset": run } } })).count;
  };

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

  it("alerts sent == documents indexed, and the DLQ holds nothing", async () => {
    const half = TOTAL / 2;
    for (let i = 0; i < half; i += 20) await send(alerts.slice(i, i + 20));
    await waitFor("the first half indexed", async () => (await indexed()) === half);

    try {
      await infraLocal("stop", "elasticsearch");
      // Kafka keeps taking alerts while Elasticsearch is gone; the sink holds its batch.
      for (let i = half; i < TOTAL; i += 20) await send(alerts.slice(i, i + 20));
      await waitFor("the sink to notice the outage", async () => {
        const res = await fetch(`http://127.0.0.1:${sink!.healthPort}/readyz`).catch(() => undefined);
        return res?.status === 503;
      });
    } finally {
      await infraLocal("start", "elasticsearch");
    }

    await waitFor("every alert indexed after the restart", async () => (await indexed()) === TOTAL, 120_000);
    const res = await es.search({ index: config.indices.alias, size: TOTAL + 10, query: { term: { "dockwatch.ruleset": run } }, _source: false });
    assert.deepEqual(new Set(res.hits.hits.map((h) => h._id)), new Set(alerts.map((a) => a.id)), "exactly the alerts sent");

    const admin = clients.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(env.TOPIC_DLQ);
      assert.equal(offsets.reduce((sum, p) => sum + Number(p.high), 0), 0, "nothing dead-lettered");
    } finally {
      await admin.disconnect();
    }
  });
});

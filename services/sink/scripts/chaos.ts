// The long Elasticsearch outage: alerts stream into Kafka while the real
// Elasticsearch is stopped for CHAOS_OUTAGE (default 60s) and started again.
// Reports sent vs indexed, dead letters, and the sink's memory while it holds
// its batch. Writes reports/sink-chaos.md. Usage: npm run chaos -w services/sink
// (CHAOS_ALERTS=20000 CHAOS_OUTAGE=60s CHAOS_RATE=500 to change the run).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Alert } from "@dockwatch/contracts";
import { createLogger } from "@dockwatch/runtime";
import { infra, infraLocal, repoRoot, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../src/index.js";
import { makeAlert, sinkTestbed } from "../test/integration/fixtures.js";

const TOTAL = Number(process.env.CHAOS_ALERTS ?? 20_000);
const OUTAGE_MS = Number(/^(\d+)s$/.exec(process.env.CHAOS_OUTAGE ?? "60s")?.[1] ?? 60) * 1000;
const RATE = Number(process.env.CHAOS_RATE ?? 500); // alerts per second offered
const DAY = 1_717_372_800; // 2024-06-03T00:00:00Z

const logger = createLogger("sink-chaos", process.env.LOG_LEVEL ?? "warn");
const run = unique("chaos");
const { env, config, clients } = sinkTestbed(run, logger, { SINK_RETRY_MAX_DELAY: "5s" });
const es = new Client({ node: infra.elasticsearchUrl, maxRetries: 0 });
const alert = (n: number): Alert =>
  makeAlert({ id: `${DAY + n}.${run}.${n}`, eventSeconds: DAY + (n % 86_000), timestamp: new Date((DAY + n) * 1000).toISOString(), container: `c${n % 50}`, ruleset: run });
const indexed = async () => {
  await es.indices.refresh({ index: "dockwatch-alerts" });
  return (await es.count({ index: "dockwatch-alerts", query: { term: { "dockwatch.ruleset": run } } })).count;
};

let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 200);

for (const c of clients.components) await c.start();
const sink = await startSink(config, logger);
const baseRss = process.memoryUsage().rss;
let sent = 0;
const producing = (async () => {
  const started = Date.now();
  while (sent < TOTAL) {
    const n = Math.min(100, TOTAL - sent);
    const batch = Array.from({ length: n }, (_, i) => alert(sent + i));
    await clients.producer.send({ topic: env.TOPIC_ALERTS, acks: -1, messages: batch.map((a) => ({ key: a.data.docker.id, value: clients.codec.encode("Alert", a) })) });
    sent += n;
    const ahead = (sent / RATE) * 1000 - (Date.now() - started);
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
  }
})();

await waitFor("a tenth sent", async () => sent >= TOTAL / 10, 600_000);
const outageStart = Date.now();
let outageRss = 0;
try {
  await infraLocal("stop", "elasticsearch");
  const until = Date.now() + OUTAGE_MS;
  while (Date.now() < until) {
    outageRss = Math.max(outageRss, process.memoryUsage().rss);
    await new Promise((r) => setTimeout(r, 500));
  }
} finally {
  await infraLocal("start", "elasticsearch");
}
const outageSeconds = (Date.now() - outageStart) / 1000;
await producing;
const catchUpStart = Date.now();
await waitFor("every alert indexed", async () => (await indexed()) >= TOTAL, 600_000, 1000);
const catchUpSeconds = (Date.now() - catchUpStart) / 1000;
const count = await indexed();
const admin = clients.kafka.admin();
await admin.connect();
const dead = (await admin.fetchTopicOffsets(env.TOPIC_DLQ)).reduce((s, p) => s + Number(p.high), 0);
await admin.disconnect();
clearInterval(sampler);
await sink.stop("chaos done");
for (const c of [...clients.components].reverse()) await c.stop();
await es.close();

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
const report = `# sink chaos: Elasticsearch outage mid-stream

- run: ${run}, ${new Date().toISOString()}
- alerts sent: ${sent}, offered at ${RATE}/s
- Elasticsearch stopped and restarted (infra/local stop/start): ${outageSeconds.toFixed(0)} s without it, including its restart
- documents indexed: ${count} (${count === sent ? "== sent" : "MISMATCH"})
- dead letters: ${dead}
- catch-up after the producer finished: ${catchUpSeconds.toFixed(1)} s
- process RSS (producer + sink in one process): at start ${mb(baseRss)}, peak during the outage ${mb(outageRss)}, peak overall ${mb(peakRss)}; peak heap ${mb(peakHeap)}
- fetch bound (SINK_FETCH_MAX_BYTES): ${mb(config.fetchMaxBytes)}

Command: npm run chaos -w services/sink (CHAOS_ALERTS=${TOTAL} CHAOS_OUTAGE=${OUTAGE_MS / 1000}s CHAOS_RATE=${RATE})
`;
mkdirSync(join(repoRoot, "reports"), { recursive: true });
writeFileSync(join(repoRoot, "reports/sink-chaos.md"), report);
console.log(report);
if (count !== sent || dead !== 0) process.exit(1);
process.exit(0);

// node --import tsx scripts/profile-stage.ts <decoder|rules|sink> [--events N] [--prof] [--limit]
//
// One stage alone, as its own process, on a pre-filled topic: N records are
// produced to a fresh 6-partition input topic, then `node services/<stage>/dist/main.js`
// is started and timed until its consumer group has committed all N (the
// stage commits only after its output was acknowledged, so "committed" is
// "done"). Prints events/s (first commit to last, and from the spawn), the
// peak RSS of the stage's process (VmHWM) and, with --prof, writes a CPU
// profile under reports/prof/ (node --cpu-prof). With --limit it also runs,
// on the same records right after, what the stage is measured against: a
// kafkajs passthrough (decoder, rules: consume, produce the same bytes with
// acks=-1, commit after the ack) or a plain sequential `_bulk` of 1,000
// documents per request (sink). A diagnostic for issue 13's profiling, not the
// root benchmark (npm run bench); figures are only comparable within one run.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Alert, DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { alertDocument } from "@dockwatch/contracts";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { infra, repoRoot, unique } from "@dockwatch/test-helpers";
import { rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { alertingSettings, evaluate, loadRuleset, version } from "@dockwatch/rule-engine";
import { decodedEvent } from "@dockwatch/rule-engine/testing";
import { kafkaSettings } from "@dockwatch/config";

type Stage = "decoder" | "rules" | "sink";
const args = process.argv.slice(2);
const stage = args[0] as Stage;
if (!["decoder", "rules", "sink"].includes(stage)) throw new Error("usage: profile-stage.ts <decoder|rules|sink> [--events N] [--prof] [--limit]");
const flag = (name: string) => args.includes(name);
const events = Number(args[args.indexOf("--events") + 1] || 0) || 50_000;
const logger = createLogger("profile-stage", "warn");
const run = unique(`prof-${stage}`);

const env: Record<string, string> = {
  ...process.env,
  ...infra.kafkaEnv,
  TOPIC_RAW: `${run}.raw`,
  TOPIC_DECODED: `${run}.decoded`,
  TOPIC_ALERTS: `${run}.alerts`,
  TOPIC_DLQ: `${run}.dlq`,
  TOPIC_SCHEMAS: `${run}.schemas`,
  DECODER_CONSUMER_GROUP: `${run}-decoder`,
  RULES_CONSUMER_GROUP: `${run}-rules`,
  SINK_CONSUMER_GROUP: `${run}-sink`,
  REDIS_URL: infra.redisUrl,
  REDIS_KEY_PREFIX: `${run}:`,
  ELASTICSEARCH_URL: infra.elasticsearchUrl,
  SINK_INDEX_PREFIX: run,
  HEALTH_PORT: "0",
  LOG_LEVEL: "warn",
} as Record<string, string>;
const inputTopic = { decoder: env.TOPIC_RAW!, rules: env.TOPIC_DECODED!, sink: env.TOPIC_ALERTS! }[stage];
const group = { decoder: env.DECODER_CONSUMER_GROUP!, rules: env.RULES_CONSUMER_GROUP!, sink: env.SINK_CONSUMER_GROUP! }[stage];

/** The real engine's events (libs/docker-event/fixtures/engine-20.10), as the decoder bench uses them. */
function rawSamples(): DockerEvent[] {
  const dir = join(repoRoot, "libs/docker-event/fixtures/engine-20.10");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean))
    .map(rawFromEngineLine);
}

// The rules bench's mix (services/rules/scripts/bench-service.ts): starts, stops, execs, privileged starts, dies.
const kinds = [
  { type: "container", action: "start" },
  { type: "container", action: "stop" },
  { type: "container", action: "exec_start: sh -c id" },
  { type: "container", action: "start", inspect: { privileged: true } },
  { type: "container", action: "die", attributes: { name: "x", exitCode: "1" } },
];
const decodedAt = (j: number): DecodedEvent => {
  const k = kinds[j % kinds.length]!;
  return decodedEvent({ attributes: { name: `c${j % 500}` }, ...k, id: `${run}-${j % 500}`, timeNano: `${BigInt(1_700_000_000_000 + j) * 1_000_000n}` });
};

const settings = kafkaSettings(env, `${stage}-profile`);
const clients = createPipelineClients({
  settings,
  logger,
  writes: stage === "decoder" ? ["DockerEvent"] : stage === "rules" ? ["DecodedEvent"] : ["Alert"],
  topics: [{ topic: inputTopic }],
});
for (const c of clients.components) await c.start();
const admin = clients.kafka.admin();
await admin.connect();

// --- fill the input topic
const samples = stage === "decoder" ? rawSamples() : [];
const ruleset = stage === "sink" ? loadRuleset(alertingSettings({}).sources) : undefined;
const sinkCtx = { manager: { name: "m" }, cluster: { name: "c", node: "n" }, location: "docker", version, ruleset: "r", now: new Date(), utcOffsetMinutes: 0 };
const docs: string[] = [];
let produced = 0;
for (let i = 0; produced < events; i += 1000) {
  const messages: { key: string; value: Buffer }[] = [];
  for (let j = i; j < i + 1000 && produced + messages.length < events; j++) {
    if (stage === "decoder") {
      const raw = samples[j % samples.length]!;
      messages.push({ key: `${raw.event!.Actor.ID}-${j % 64}`, value: clients.codec.encode("DockerEvent", raw) });
    } else if (stage === "rules") {
      const e = decodedAt(j);
      messages.push({ key: e.docker.Actor.ID, value: clients.codec.encode("DecodedEvent", e) });
    } else {
      const e = decodedAt(j);
      for (const alert of await evaluate(e, ruleset!, { minLevel: 0, ctx: sinkCtx })) {
        if (produced + messages.length >= events) break;
        messages.push({ key: e.docker.Actor.ID, value: clients.codec.encode("Alert", alert as Alert) });
        docs.push(JSON.stringify(alertDocument(alert)), alert.id);
      }
    }
  }
  produced += messages.length;
  await clients.producer.send({ topic: inputTopic, acks: -1, messages });
}

const committed = async (groupId: string, topic: string) => {
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  return offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
};

// --- the stage, as its own process
const profDir = join(repoRoot, "reports/prof");
mkdirSync(profDir, { recursive: true });
const nodeArgs = [...(flag("--prof") ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${stage}-${run}.cpuprofile`] : []), join(process.env.PROFILE_SERVICE_ROOT ?? repoRoot, `services/${stage}/dist/main.js`)];
const spawnedAt = performance.now();
const child = spawn(process.execPath, nodeArgs, { env, stdio: ["ignore", "inherit", "inherit"] });
const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
let peakRss = 0;
const rssOf = () => {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return peakRss;
  }
};
/** CPU seconds (user + system) the stage's process has used so far. */
const cpuOf = () => {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
};
let firstAt: number | undefined;
let cpuAtFirst = 0;
let done = 0;
const deadline = Date.now() + 900_000;
while (done < events) {
  if (Date.now() > deadline) throw new Error(`timed out at ${done}/${events}`);
  await new Promise((r) => setTimeout(r, 100));
  peakRss = Math.max(peakRss, rssOf());
  done = await committed(group, inputTopic);
  if (done > 0 && firstAt === undefined) {
    firstAt = performance.now();
    cpuAtFirst = cpuOf();
  }
}
const end = performance.now();
const cpu = cpuOf() - cpuAtFirst;
peakRss = Math.max(peakRss, rssOf());
child.kill("SIGTERM");
await exited;
const outputTopic = { decoder: env.TOPIC_DECODED!, rules: env.TOPIC_ALERTS!, sink: undefined }[stage];
const produced_ = outputTopic ? (await admin.fetchTopicOffsets(outputTopic)).reduce((n, p) => n + Number(p.high), 0) : undefined;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const result: Record<string, string> = {
  stage,
  events: fmt(events),
  "events/s (first commit to last)": fmt(events / ((end - (firstAt ?? spawnedAt)) / 1000)),
  "events/s (from spawn)": fmt(events / ((end - spawnedAt) / 1000)),
  "peak RSS MB": peakRss.toFixed(0),
  ...(produced_ !== undefined ? { "records out": fmt(produced_) } : {}),
  // Less sensitive than events/s to what else runs on the machine: the stage's own CPU per event (first commit to last).
  "CPU µs/event": fmt((cpu * 1e6) / done),
};

// --- the limit, on the same records
if (flag("--limit") && stage !== "sink") {
  const out = `${run}.passthrough`;
  await admin.createTopics({ topics: [{ topic: out, numPartitions: 6, replicationFactor: 1 }] });
  const consumer = clients.kafka.consumer({ groupId: `${run}-passthrough` });
  await consumer.connect();
  await consumer.subscribe({ topic: inputTopic, fromBeginning: true });
  const start = performance.now();
  let seen = 0;
  let first: number | undefined;
  let cpuFirst: NodeJS.CpuUsage | undefined;
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      first ??= performance.now();
      cpuFirst ??= process.cpuUsage();
      await clients.producer.send({ topic: out, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
      const last = batch.messages[batch.messages.length - 1]!.offset;
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
      seen += batch.messages.length;
    },
  });
  while (seen < events) await new Promise((r) => setTimeout(r, 50));
  const stop = performance.now();
  const used = process.cpuUsage(cpuFirst);
  await consumer.disconnect();
  result["passthrough events/s (first batch to last)"] = fmt(events / ((stop - (first ?? start)) / 1000));
  result["passthrough CPU µs/event"] = fmt((used.user + used.system) / events);
  await admin.deleteTopics({ topics: [out] }).catch(() => undefined);
}
if (flag("--limit") && stage === "sink") {
  const index = `${run}-limit`;
  const start = performance.now();
  for (let i = 0; i < docs.length; i += 2000) {
    let body = "";
    for (let j = i; j < Math.min(docs.length, i + 2000); j += 2) body += `{"index":{"_index":"${index}","_id":${JSON.stringify(docs[j + 1])}}}\n${docs[j]}\n`;
    const res = await fetch(`${infra.elasticsearchUrl}/_bulk?filter_path=errors`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
    if (!res.ok || (await res.json()).errors) throw new Error(`plain _bulk failed: ${res.status}`);
  }
  result["plain _bulk docs/s (1,000 per request)"] = fmt(docs.length / 2 / ((performance.now() - start) / 1000));
}
for (const c of [...clients.components].reverse()) await c.stop();
await admin.deleteTopics({ topics: [env.TOPIC_RAW!, env.TOPIC_DECODED!, env.TOPIC_ALERTS!, env.TOPIC_DLQ!, env.TOPIC_SCHEMAS!] }).catch(() => undefined);
if (stage === "sink") await fetch(`${infra.elasticsearchUrl}/${run}-*`, { method: "DELETE" }).catch(() => undefined);
await admin.disconnect();
console.log(JSON.stringify(result, null, 1));
process.exit(0);

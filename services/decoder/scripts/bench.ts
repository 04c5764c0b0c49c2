// npm run bench -w services/decoder [-- --events 20000]
// Events/s of the pure decode function, and of the decoder service draining
// pre-produced raw events through the local Kafka. Writes reports/decoder-bench.md.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { DockerEvent } from "@dockwatch/contracts";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { infra, repoRoot, unique } from "@dockwatch/test-helpers";
import { createRedactor, decodeEvent } from "@dockwatch/docker-event";
import { loadDecoderConfig, startDecoder } from "../src/index.js";
import { rawFromEngineLine } from "@dockwatch/docker-event/testing";

const args = process.argv.slice(2);
const events = Number(args[args.indexOf("--events") + 1] || 20_000) || 20_000;
const logger = createLogger("decoder-bench", process.env.LOG_LEVEL ?? "warn");

/** The real engine's events (libs/docker-event/fixtures/engine-20.10), cycled: a realistic mix of types and sizes. */
function sampleEvents(): DockerEvent[] {
  const dir = join(repoRoot, "libs/docker-event/fixtures/engine-20.10");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean))
    .map(rawFromEngineLine);
}

function benchPure(samples: DockerEvent[], redactor = createRedactor()): number {
  const run = (n: number) => {
    for (let i = 0; i < n; i++) decodeEvent(samples[i % samples.length]!, redactor);
  };
  run(5_000); // warm-up (JIT)
  const start = process.hrtime.bigint();
  run(events);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return events / seconds;
}

async function benchService(samples: DockerEvent[]): Promise<{ total: number; steady: number }> {
  const run = unique("decoder-bench");
  const env = {
    ...infra.kafkaEnv,
    TOPIC_RAW: `${run}.raw`,
    TOPIC_DECODED: `${run}.decoded`,
    TOPIC_DLQ: `${run}.dlq`,
    TOPIC_SCHEMAS: `${run}.schemas`,
    DECODER_CONSUMER_GROUP: `${run}-decoder`,
    HEALTH_PORT: "0",
  };
  const config = loadDecoderConfig(env);
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DockerEvent"], topics: [{ topic: env.TOPIC_RAW }, { topic: env.TOPIC_DECODED }] });
  for (const c of clients.components) await c.start();
  const admin = clients.kafka.admin();
  await admin.connect();
  try {
    for (let i = 0; i < events; i += 1000) {
      const messages = [];
      for (let j = i; j < Math.min(events, i + 1000); j++) {
        const raw = samples[j % samples.length]!;
        messages.push({ key: `${raw.event!.Actor.ID}-${j % 64}`, value: clients.codec.encode("DockerEvent", raw) });
      }
      await clients.producer.send({ topic: env.TOPIC_RAW, acks: -1, messages });
    }
    const decodedCount = async () => (await admin.fetchTopicOffsets(env.TOPIC_DECODED)).reduce((n, p) => n + Number(p.high), 0);
    const start = performance.now();
    const decoder = await startDecoder(config, logger);
    let firstAt: number | undefined;
    let count = 0;
    while (count < events) {
      await new Promise((r) => setTimeout(r, 50));
      count = await decodedCount();
      if (count > 0 && firstAt === undefined) firstAt = performance.now();
    }
    const end = performance.now();
    await decoder.stop("bench done");
    return { total: events / ((end - start) / 1000), steady: events / ((end - (firstAt ?? start)) / 1000) };
  } finally {
    for (const c of [...clients.components].reverse()) await c.stop();
    await admin.deleteTopics({ topics: [env.TOPIC_RAW, env.TOPIC_DECODED, env.TOPIC_DLQ, env.TOPIC_SCHEMAS] }).catch(() => undefined);
    await admin.disconnect();
  }
}

const samples = sampleEvents();
const pure = benchPure(samples);
const pureWithUser = benchPure(samples, createRedactor(["(?i)ssn=(?<secret>\\d{9})", "ACME-[0-9A-F]{8}"]));
const service = await benchService(samples);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const report = `# Decoder benchmark

${new Date().toISOString()}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}.
Command: \`npm run bench -w services/decoder\` (${fmt(events)} events: the real engine events of
fixtures/engine-20.10, cycled).

| what | events/s |
|---|---|
| pure \`decodeEvent\` (default redaction rules) | ${fmt(pure)} |
| pure \`decodeEvent\` (defaults + 2 REDACT_PATTERNS) | ${fmt(pureWithUser)} |
| service through the local Kafka, first decoded record to last | ${fmt(service.steady)} |
| service through the local Kafka, start to drained (group join included) | ${fmt(service.total)} |

The service figure: ${fmt(events)} raw events pre-produced to a fresh 6-partition topic, then one decoder
instance started (one consumer, Avro decode, decodeEvent, Avro encode, acks=all produce, commit) and
timed until the decoded topic held them all. The redactor memoizes results per distinct string and the
fixtures repeat their strings (ids, names, labels), as a real fleet's events largely do; events made of
only never-seen strings pay the full pattern cost (RE2JS) on each.
`;
mkdirSync(join(repoRoot, "reports"), { recursive: true });
writeFileSync(join(repoRoot, "reports/decoder-bench.md"), report);
console.log(report);

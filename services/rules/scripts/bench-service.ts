// Events per second of the rules service against the local Kafka and Redis:
// N decoded events are produced first, then the service starts and consumes
// them; the rate is N over the time from its start to the N-th alert read
// back. Appends to reports/rules-bench.md. Usage: npm run bench:service -w services/rules [-- N]
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { loadRulesConfig, startRules } from "../src/index.js";
import { decodedEvent } from "@dockwatch/rule-engine/testing";

const total = Number(process.argv[2] ?? 50_000);
const logger = createLogger("rules-bench", "warn");
const run = unique("rules-bench");
const env = {
  ...infra.kafkaEnv,
  REDIS_URL: infra.redisUrl,
  REDIS_KEY_PREFIX: `${run}:`,
  TOPIC_DECODED: `${run}.decoded`,
  TOPIC_ALERTS: `${run}.alerts`,
  TOPIC_DLQ: `${run}.dlq`,
  TOPIC_SCHEMAS: `${run}.schemas`,
  RULES_CONSUMER_GROUP: `${run}-rules`,
  ALERTS_FORMAT: process.env.ALERTS_FORMAT ?? "avro",
  HEALTH_PORT: "0",
};
const config = loadRulesConfig(env);
const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DecodedEvent"], topics: [{ topic: env.TOPIC_DECODED }, { topic: env.TOPIC_ALERTS }] });
for (const c of clients.components) await c.start();

// A mix: starts, stops, execs, privileged starts, dies (which also feed the Redis correlator).
const kinds = [
  { type: "container", action: "start" },
  { type: "container", action: "stop" },
  { type: "container", action: "exec_start: sh -c id" },
  { type: "container", action: "start", inspect: { privileged: true } },
  { type: "container", action: "die", attributes: { name: "x", exitCode: "1" } },
];
const batch = 1000;
for (let i = 0; i < total; i += batch) {
  const messages = [];
  for (let j = i; j < Math.min(total, i + batch); j++) {
    const k = kinds[j % kinds.length]!;
    const e = decodedEvent({ attributes: { name: `c${j % 500}` }, ...k, id: `${run}-${j % 500}`, timeNano: `${BigInt(1_700_000_000_000 + j) * 1_000_000n}` });
    messages.push({ key: e.docker.Actor.ID, value: clients.codec.encode("DecodedEvent", e) });
  }
  await clients.producer.send({ topic: env.TOPIC_DECODED, messages });
}

let alerts = 0;
const reader = clients.kafka.consumer({ groupId: `${run}-reader` });
await reader.connect();
await reader.subscribe({ topics: [env.TOPIC_ALERTS], fromBeginning: true });
await reader.run({ eachBatch: async ({ batch: b }) => void (alerts += b.messages.length) });

const start = performance.now();
const service = await startRules(config, logger);
await waitFor(`${total} alerts`, async () => alerts >= total, 600_000, 50);
const seconds = (performance.now() - start) / 1000;
await reader.disconnect();
await service.stop("bench done");
for (const c of [...clients.components].reverse()) await c.stop();

const line = [
  "",
  "## Rules service against the local Kafka and Redis",
  "",
  `- command: \`npm run bench:service -w services/rules -- ${total}\` (ALERTS_FORMAT=${env.ALERTS_FORMAT}), ${new Date().toISOString()}`,
  `- ${total} decoded events produced beforehand (default 6 partitions), one rules instance (consumer-group join included) from its start to the ${total}th alert read back: ${seconds.toFixed(1)} s, **${Math.round(total / seconds).toLocaleString("en-US")} events/s** (${alerts} alerts incl. correlation alerts)`,
  "",
].join("\n");
appendFileSync(new URL("../../../reports/rules-bench.md", import.meta.url), line);
process.stdout.write(line);
process.exit(0);

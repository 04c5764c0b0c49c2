// How long a clean stop takes: each service alone (SIGTERM, as a supervisor
// sends it) and the whole `dockwatch up` (SIGINT, as Ctrl-C sends it), idle,
// on the real local Kafka, Redis, Elasticsearch and Docker engine. Every run
// has its own topics, groups, Redis prefix, index prefix, collector state,
// health ports and (for `up`) log and pid directory, so it runs beside
// `npm start`. The time is from the signal to the process's exit. "up, busy"
// is `dockwatch up` stopped in full flow: --records raw records produced
// straight to its raw topic, SIGINT once the first are decoded.
//   npm run measure:shutdown -w services/cli -- [--rounds 3] [--idle 3] [--records 20000]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@elastic/elasticsearch";
import { kafkaSettings } from "@dockwatch/config";
import { containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { freePort, infra, unique, waitFor } from "@dockwatch/test-helpers";
import { SERVICES, spawnService, type ServiceName } from "../src/services.js";
import { repoRoot } from "../src/paths.js";
import { stackEnv } from "../test/integration/stack.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    idle: { type: "string", default: "3" },
    records: { type: "string", default: "20000" },
    only: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log(
    "usage: measure-shutdown [--rounds 3] [--idle SECONDS] [--records N] [--only up|up-busy|collector|decoder|rules|sink]\nms from SIGTERM (each service) and SIGINT (dockwatch up) to exit, idle, and for up-busy in full flow.",
  );
  process.exit(0);
}
const rounds = Number(values.rounds);
const busyRecords = Number(values.records);
const idleMs = Number(values.idle) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cleanup(env: Record<string, string>): Promise<void> {
  const es = new Client({ node: infra.elasticsearchUrl });
  const prefix = env.SINK_INDEX_PREFIX!;
  await es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
  await es.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
  await es.close();
}

/** One service alone: ready, idle, SIGTERM; ms to exit and the exit code. */
async function oneService(name: ServiceName): Promise<{ ms: number; code: number | string }> {
  const run = unique("shut");
  const stateDir = mkdtempSync(join(tmpdir(), `${run}-`));
  const env = stackEnv(run, stateDir);
  const lines: string[] = [];
  const s = spawnService(name, { env, healthPort: await freePort(), onLine: (_svc, line) => lines.push(line) });
  try {
    await s.waitReady();
    await sleep(idleMs);
    const t0 = performance.now();
    s.child.kill("SIGTERM");
    const code = await s.exited;
    return { ms: Math.round(performance.now() - t0), code };
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${lines.slice(-20).join("\n")}`);
  } finally {
    await s.stop();
    await cleanup(env);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Produces `n` raw records to the run's raw topic; resolves once the first ones are decoded. */
async function flow(env: Record<string, string>, n: number): Promise<void> {
  const clients = createPipelineClients({ settings: kafkaSettings(env, "measure-shutdown"), logger: createLogger("measure", "warn"), writes: ["DockerEvent"], topics: [{ topic: env.TOPIC_RAW! }] });
  const admin = clients.kafka.admin();
  try {
    for (const c of clients.components) await c.start();
    await admin.connect();
    const run = env.TOPIC_RAW!;
    for (let i = 0; i < n; i += 1000) {
      const messages = await Promise.all(
        Array.from({ length: Math.min(1000, n - i) }, (_, j) => `${run}-${(i + j) % 97}`).map(async (name) => ({
          key: name,
          value: await clients.codec.encode("DockerEvent", rawFromEngineLine(containerLine("start", { name }, name))),
        })),
      );
      await clients.producer.send({ topic: env.TOPIC_RAW!, acks: -1, messages });
    }
    const decoded = async () => (await admin.fetchTopicOffsets(env.TOPIC_DECODED!)).reduce((t, p) => t + Number(p.high), 0);
    await waitFor("decoded records", async () => (await decoded()) > 100, 60_000, 20);
  } finally {
    await admin.disconnect();
    for (const c of [...clients.components].reverse()) await c.stop();
  }
}

/** `dockwatch up --no-infra --plain` with its own world: ready, idle (or in full flow with `busy` records), SIGINT; ms to exit. */
async function wholeUp(busy = 0): Promise<{ ms: number; code: number | string }> {
  const run = unique("shut");
  const dir = mkdtempSync(join(tmpdir(), `${run}-`));
  const env: Record<string, string> = { ...stackEnv(run, join(dir, "collector")), DOCKWATCH_INFRA_STATE: join(dir, "state") };
  for (const name of SERVICES) env[`${name.toUpperCase()}_HEALTH_PORT`] = String(await freePort());
  const child = spawn(process.execPath, [join(repoRoot, "services/cli/dist/cli.js"), "up", "--no-infra", "--plain"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string>((r) => child.once("exit", (code, signal) => r(code ?? signal ?? 0)));
  try {
    const deadline = Date.now() + 180_000;
    while (!out.includes("dockwatch is running")) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`dockwatch up did not start:\n${out.slice(-3000)}`);
      await sleep(100);
    }
    await sleep(idleMs);
    if (busy > 0) await flow(env, busy);
    const t0 = performance.now();
    child.kill("SIGINT");
    const code = await exited;
    return { ms: Math.round(performance.now() - t0), code };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await cleanup(env);
    rmSync(dir, { recursive: true, force: true });
  }
}

const targets = values.only ? [values.only] : [...SERVICES, "up", "up-busy"];
const results: Array<{ target: string; ms: number[]; codes: Array<number | string> }> = [];
for (const target of targets) {
  const ms: number[] = [];
  const codes: Array<number | string> = [];
  for (let i = 0; i < rounds; i++) {
    const r = target === "up" ? await wholeUp() : target === "up-busy" ? await wholeUp(busyRecords) : await oneService(target as ServiceName);
    ms.push(r.ms);
    codes.push(r.code);
    process.stderr.write(`${target} #${i + 1}: ${r.ms} ms (exit ${r.code})\n`);
  }
  results.push({ target, ms, codes });
}
console.log(`\n| what | signal | ms to exit (${rounds} rounds, idle ${idleMs / 1000}s first) | exit codes |\n|---|---|---|---|`);
for (const r of results) {
  const label =
    r.target === "up" ? "dockwatch up --no-infra --plain (all four), idle" : r.target === "up-busy" ? `dockwatch up, in full flow (${busyRecords} raw records)` : r.target;
  console.log(`| ${label} | ${r.target.startsWith("up") ? "SIGINT" : "SIGTERM"} | ${r.ms.join(", ")} | ${r.codes.join(", ")} |`);
}

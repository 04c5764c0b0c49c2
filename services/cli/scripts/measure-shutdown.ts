// How long a clean stop takes: each service alone (SIGTERM, as a supervisor
// sends it) and the whole `dockwatch up` (SIGINT, as Ctrl-C sends it), idle,
// on the real local Kafka, Redis, Elasticsearch and Docker engine. Every run
// has its own topics, groups, Redis prefix, index prefix, collector state,
// health ports and (for `up`) log and pid directory, so it runs beside
// `npm start`. The time is from the signal to the process's exit. "up, busy"
// is `dockwatch up` stopped in full flow: --records raw records produced
// straight to its raw topic, SIGINT once the first are decoded. The `up`
// part is shutdown.ts, which the bench's shutdown phase runs too.
//   npm run measure:shutdown -w services/cli -- [--rounds 3] [--idle 3] [--records 20000]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@elastic/elasticsearch";
import { freePort, infra, unique } from "@dockwatch/test-helpers";
import { SERVICES, spawnService, type ServiceName } from "../src/services.js";
import { stackEnv } from "../test/integration/stack.js";
import { flow, interrupt, startUp, withHealthPorts, type Up } from "./shutdown.js";

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

/** `dockwatch up --no-infra --plain` with its own world: ready, idle (or in full flow with `busy` records), SIGINT; ms to exit. */
async function wholeUp(busy = 0): Promise<{ ms: number; code: number | string }> {
  const run = unique("shut");
  const dir = mkdtempSync(join(tmpdir(), `${run}-`));
  const env = await withHealthPorts({ ...stackEnv(run, join(dir, "collector")), DOCKWATCH_INFRA_STATE: join(dir, "state") });
  let up: Up | undefined;
  try {
    up = await startUp(env);
    await sleep(idleMs);
    if (busy > 0) await flow(env, busy);
    return await interrupt(up);
  } finally {
    if (up && up.child.exitCode === null) up.child.kill("SIGKILL");
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

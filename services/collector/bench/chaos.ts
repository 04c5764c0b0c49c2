// Chaos script (not a test: it stops shared infrastructure). Kafka outage
// under a running collector, then (with --engine) a dockerd restart.
//   npm run chaos -w services/collector [-- --ops 300 --engine]
// Needs infra/local to own the components (otherwise it refuses to stop them:
// run `<other clone>/infra/local down`, then infra/local up, or set DOCKWATCH_INFRA_LOCAL=<owner's infra/local>).
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import type { DockerEvent } from "@dockwatch/contracts";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { infraLocal as repoInfraLocal, unique, waitFor } from "@dockwatch/test-helpers";
import Docker from "dockerode";
import { loadCollectorConfig, startCollector } from "../src/index.js";
import { EngineWitness, RawReader, logger, newWorld, sleepMs } from "../test/integration/harness.js";

const { values } = parseArgs({ options: { ops: { type: "string", default: "300" }, engine: { type: "boolean", default: false } } });
const ops = Number(values.ops);
// The clone that started the shared components owns them; DOCKWATCH_INFRA_LOCAL points at its infra/local.
const infraLocal = async (...args: string[]) =>
  process.env.DOCKWATCH_INFRA_LOCAL ? (await promisify(execFile)(process.env.DOCKWATCH_INFRA_LOCAL, args)).stdout : repoInfraLocal(...args);
const engine = new Docker();
const world = newWorld();
const env = world.collectorEnv();
const summary = (v: DockerEvent) => `${v.event!.Type} ${v.event!.Action} ${v.event!.Actor.ID} ${String(v.event!.timeNano)}`;

const collector = await startCollector(loadCollectorConfig(env), logger);
const reader = new RawReader(world.env);
await reader.start();
const witness = await EngineWitness.start();
const prefix = unique("dw-chaos");
try {
  process.stderr.write("chaos: stopping Kafka\n");
  await infraLocal("stop", "kafka");
  try {
    for (let i = 0; i < ops / 2; i++) {
      await engine.createVolume({ Name: `${prefix}-${i}` });
      await engine.getVolume(`${prefix}-${i}`).remove();
    }
  } finally {
    process.stderr.write("chaos: starting Kafka\n");
    await infraLocal("start", "kafka");
  }
  const want = () => witness.lines.filter((l) => l.actor.startsWith(prefix)).map((l) => `${l.type} ${l.action} ${l.actor} ${l.timeNano}`);
  await waitFor("every event after the outage", async () => reader.records.filter((r) => r.value.event?.Actor.ID.startsWith(prefix)).length >= want().length && want().length >= ops, 300_000);
  await sleepMs(2000);
  const got = reader.records.filter((r) => r.value.agent.id === env.AGENT_ID && r.value.event?.Actor.ID.startsWith(prefix)).map((r) => summary(r.value));
  assert.deepEqual([...got].sort(), [...want()].sort(), "each event exactly once");
  for (const actor of new Set(got.map((g) => g.split(" ")[2]))) {
    assert.deepEqual(got.filter((g) => g.split(" ")[2] === actor), want().filter((w) => w.split(" ")[2] === actor), `order of ${actor}`);
  }
  process.stderr.write(`chaos: Kafka outage OK (${got.length} events, each once, in order per actor)\n`);

  if (values.engine) {
    await infraLocal("stop", "docker");
    await infraLocal("start", "docker");
    const vol = `${prefix}-after-restart`;
    await waitFor("the collector to reconnect", async () => reader.records.filter((r) => r.value.agent.id === env.AGENT_ID && r.value.status?.state === "connected").length >= 2, 120_000);
    await engine.createVolume({ Name: vol });
    await engine.getVolume(vol).remove();
    await waitFor("events after the engine restart", async () => reader.records.filter((r) => r.value.event?.Actor.ID === vol).length === 2, 60_000);
    assert.ok(reader.records.some((r) => r.value.agent.id === env.AGENT_ID && r.value.status?.message === "Docker service was stopped"));
    process.stderr.write("chaos: engine restart OK (lost + connected status, later events arrive)\n");
  }
} finally {
  witness.stop();
  await reader.stop();
  await collector.stop("chaos done");
}
// kafkajs reconnect timers left by the outage would keep the process alive.
process.exit(0);

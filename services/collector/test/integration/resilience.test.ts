import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import Docker from "dockerode";
import { EngineWitness, freePort, newWorld, readRawDuringSuite, sleepMs, startInProcess, summary, waitForEngineAttached } from "./harness.js";

const world = newWorld();
const image = busyboxImage();
const engine = new Docker();
const mainJs = join(dirname(fileURLToPath(import.meta.url)), "../../dist/main.js");


describe("collector resilience", () => {
  const reader = readRawDuringSuite(world);

  it("history overrun: a gap record names the window and reconciliation synthesizes the container changes", async () => {
    const env = world.collectorEnv();
    let collector = await startInProcess(env);
    const [running, created, born] = [unique("dw-ovr-run"), unique("dw-ovr-new"), unique("dw-ovr-born")];
    const volumes: string[] = [];
    try {
      const runningId = await docker("run", "-d", "--name", running, image, "sleep", "300");
      const createdId = await docker("create", "--name", created, image, "sleep", "300");
      await waitFor("both containers known", async () => reader.about(new Set([runningId, createdId]), env.AGENT_ID).some((v) => v.event!.Action === "create" && v.event!.Actor.ID === createdId));
      await collector.stop("overrun test");
      // While stopped: state changes, then more than 256 events to push them out of the engine's history.
      await docker("kill", running);
      await docker("start", created);
      const bornId = await docker("run", "-d", "--name", born, image, "sleep", "300");
      for (let i = 0; i < 140; i++) {
        const v = unique("dw-ovr-vol");
        await engine.createVolume({ Name: v });
        await engine.getVolume(v).remove();
        volumes.push(v);
      }
      collector = await startInProcess(env);
      const gap = await waitFor("a gap record", async () => reader.records.find((r) => r.value.agent.id === env.AGENT_ID && r.value.kind === "gap")?.value);
      assert.equal(gap.gap!.dropped, 0n);
      assert.match(gap.gap!.reason, /history overrun/);
      assert.ok(gap.gap!.fromNano < gap.gap!.toNano);
      const synthesized = () =>
        reader.records
          .filter((r) => r.value.agent.id === env.AGENT_ID && r.value.kind === "synthesized")
          .map((r) => `${r.value.event!.Actor.ID} ${r.value.event!.Action}`);
      const want = [`${runningId} die`, `${createdId} start`, `${bornId} create`, `${bornId} start`];
      await waitFor("synthesized events", async () => want.every((w) => synthesized().includes(w)));
      const bornStart = reader.records.find((r) => r.value.kind === "synthesized" && r.value.event!.Actor.ID === bornId && r.value.event!.Action === "start")!.value;
      assert.equal(bornStart.inspect?.image, image);
      assert.equal(bornStart.event!.Actor.Attributes.name, born);
      // The last volume events are still in the engine's history: replayed, not lost.
      const lastVolume = volumes.at(-1)!;
      await waitFor("the last volume's events", async () => reader.about(new Set([lastVolume]), env.AGENT_ID).length === 2);
    } finally {
      await docker("rm", "-f", running, created, born).catch(() => "");
      await collector.stop("test done");
    }
  });

  it("restart with a full spool: kill -9 while Kafka is unreachable, restart: nothing lost, nothing twice", async () => {
    assert.ok(existsSync(mainJs), `${mainJs} missing: run npm run build -w services/collector`);
    const env: Record<string, string> = { ...world.collectorEnv(), HEALTH_PORT: String(await freePort()) };
    // Kafka unreachable for this collector only (nothing listens on port 1), so others' tests are not disturbed.
    const run = (brokers: string) => spawn(process.execPath, [mainJs], { env: { ...process.env, ...env, KAFKA_BROKERS: brokers }, stdio: ["ignore", "ignore", "pipe"] });
    const witness = await EngineWitness.start();
    const names = Array.from({ length: 10 }, () => unique("dw-kill"));
    let child = run("127.0.0.1:1");
    try {
      // Events before the first attach are not the collector's to report (no checkpoint yet): wait for it, not a fixed time.
      await waitForEngineAttached(Number(env.HEALTH_PORT));
      const ids: string[] = [];
      for (const n of names) ids.push(await docker("create", "--name", n, image, "true"));
      for (const n of names) await docker("start", n);
      for (const n of names) await docker("rm", n);
      await sleepMs(1000); // spooled (the spool commits every 20 ms)
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      child = run(world.env.KAFKA_BROKERS!);
      const actors = new Set(ids);
      const want = () => witness.lines.filter((l) => actors.has(l.actor)).map((l) => `${l.type} ${l.action} ${l.actor} ${l.timeNano}`);
      await waitFor("every event after the restart", async () => {
        const got = reader.about(actors, env.AGENT_ID);
        return got.length >= want().length && want().length >= 10 * 4;
      }, 90_000);
      await sleepMs(1000);
      const got = reader.about(actors, env.AGENT_ID).map(summary);
      assert.deepEqual(got.sort(), want().sort(), "each event exactly once");
      for (const id of ids) {
        const perActor = reader.about(new Set([id]), env.AGENT_ID).map(summary);
        assert.deepEqual(perActor, want().filter((l) => l.split(" ")[2] === id), "engine order per actor");
      }
    } finally {
      witness.stop();
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
      await docker("rm", "-f", ...names).catch(() => "");
    }
  });
});

describe("collector spool bound", () => {
  const boundWorld = newWorld();
  const boundReader = readRawDuringSuite(boundWorld);

  it("past the bound, events are counted and reported by a gap record, never dropped silently", async () => {
    assert.ok(existsSync(mainJs), `${mainJs} missing: run npm run build -w services/collector`);
    const env: Record<string, string> = { ...boundWorld.collectorEnv(), COLLECTOR_SPOOL_MAX_EVENTS: "100", HEARTBEAT_INTERVAL: "1h", HEALTH_PORT: String(await freePort()) };
    const run = (brokers: string) => spawn(process.execPath, [mainJs], { env: { ...process.env, ...env, KAFKA_BROKERS: brokers }, stdio: ["ignore", "ignore", "pipe"] });
    const prefix = unique("dw-bound");
    let child = run("127.0.0.1:1");
    const stopChild = async () => {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
    };
    try {
      await waitForEngineAttached(Number(env.HEALTH_PORT));
      for (let i = 0; i < 100; i++) {
        await engine.createVolume({ Name: `${prefix}-${i}` });
        await engine.getVolume(`${prefix}-${i}`).remove();
      }
      await sleepMs(1000);
      await stopChild();
      child = run(boundWorld.env.KAFKA_BROKERS!);
      const gap = await waitFor("a gap record for the drops", async () => boundReader.records.find((r) => r.value.agent.id === env.AGENT_ID && r.value.kind === "gap")?.value, 60_000);
      assert.match(gap.gap!.reason, /spool full/);
      await sleepMs(2000);
      const received = boundReader.records.filter((r) => r.value.agent.id === env.AGENT_ID && r.value.event?.Actor.ID.startsWith(prefix)).map((r) => summary(r.value));
      assert.equal(new Set(received).size, received.length, "none twice");
      const dropped = Number(gap.gap!.dropped);
      assert.ok(dropped >= 100, `dropped ${dropped}`);
      // 200 volume events; the dropped count may also hold a status record or two.
      assert.ok(received.length + dropped >= 200 && received.length + dropped <= 202, `received ${received.length} + dropped ${dropped}`);
    } finally {
      await stopChild();
    }
  });
});

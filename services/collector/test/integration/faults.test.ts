import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { docker, infra, infraLocal, unique, waitFor } from "@dockwatch/test-helpers";
import { Kafka, logLevel } from "kafkajs";
import { EngineWitness, newWorld, readRawDuringSuite, sleepMs, startInProcess, summary } from "./harness.js";

// Real faults under a running collector: the broker stopped with infra/local
// (not a dead port), and dockerd itself restarted. Reduced counts; the long
// versions are `npm run chaos -w services/collector`.

const world = newWorld();

/** Waits until the broker answers metadata requests again. */
async function kafkaHealthy(): Promise<void> {
  const kafka = new Kafka({ clientId: "fault-test", brokers: infra.kafkaBrokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  await waitFor("Kafka back", async () => {
    // A fresh admin per attempt: a failed connect() can leave sockets behind.
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } finally {
      await admin.disconnect();
    }
  }, 120_000, 1000);
}

describe("collector under real faults", () => {
  const reader = readRawDuringSuite(world);

  it("Kafka stopped mid-stream: every event arrives exactly once, in order per actor", async () => {
    const env = world.collectorEnv();
    const collector = await startInProcess(env);
    const witness = await EngineWitness.start();
    const names = Array.from({ length: 25 }, () => unique("dw-kafka-out"));
    try {
      await infraLocal("stop", "kafka");
      try {
        // 25 volumes created and removed while the broker is down: 50 engine events.
        for (const n of names) await docker("volume", "create", n);
        for (const n of names) await docker("volume", "rm", n);
        await sleepMs(1000);
      } finally {
        await infraLocal("start", "kafka");
      }
      await kafkaHealthy();
      const actors = new Set(names);
      const want = () => witness.lines.filter((l) => l.type === "volume" && actors.has(l.actor)).map((l) => `${l.type} ${l.action} ${l.actor} ${l.timeNano}`);
      await waitFor("all 50 events after the outage", async () => want().length === 50 && reader.about(actors, env.AGENT_ID).length >= 50, 120_000, 500);
      await sleepMs(1000); // and nothing more
      const got = reader.about(actors, env.AGENT_ID).map(summary);
      assert.deepEqual([...got].sort(), [...want()].sort(), "each event exactly once");
      for (const n of names) {
        assert.deepEqual(reader.about(new Set([n]), env.AGENT_ID).map(summary), want().filter((l) => l.split(" ")[2] === n), `engine order for ${n}`);
      }
    } finally {
      witness.stop();
      await collector.stop("test done");
      await docker("volume", "rm", "-f", ...names).catch(() => "");
    }
  });

  it("dockerd restarted under the collector: lost and connected status records, then later events", async () => {
    const env = world.collectorEnv();
    const collector = await startInProcess(env);
    const after = unique("dw-after-restart");
    const statusOf = () =>
      reader.records.filter((r) => r.value.agent.id === env.AGENT_ID && r.value.kind === "status").map((r) => r.value.status!);
    try {
      await waitFor("the first connected status", async () => statusOf().some((s) => s.state === "connected"), 60_000);
      await infraLocal("stop", "docker");
      try {
        await waitFor("the lost status", async () => statusOf().some((s) => s.state === "lost"), 60_000);
      } finally {
        await infraLocal("start", "docker");
      }
      const lost = statusOf().find((s) => s.state === "lost")!;
      assert.equal(lost.message, "Docker service was stopped");
      await waitFor("reconnected", async () => statusOf().filter((s) => s.state === "connected").length >= 2, 120_000);
      assert.equal(statusOf().filter((s) => s.state === "connected").at(-1)!.message, "Connected to Docker service");
      await docker("volume", "create", after);
      await waitFor("an event after the restart", async () => reader.about(new Set([after]), env.AGENT_ID).some((v) => v.event!.Action === "create"), 60_000);
    } finally {
      await collector.stop("test done");
      await docker("volume", "rm", "-f", after).catch(() => "");
    }
  });
});

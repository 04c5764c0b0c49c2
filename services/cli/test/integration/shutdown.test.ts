import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { DockerEvent } from "@dockwatch/contracts";
import { containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { Client } from "@elastic/elasticsearch";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { kafkaSettings } from "@dockwatch/config";
import { freePort, infra, unique, waitFor } from "@dockwatch/test-helpers";
import type { Admin } from "kafkajs";
import { SERVICES } from "../../src/index.js";
import { repoRoot } from "../../src/paths.js";
import { stackEnv } from "./stack.js";

// Ctrl-C on `dockwatch up` (issue 13): the real command, SIGINT, the four real
// services, the real Kafka. The services stop all at once, so what matters is
// that each stage commits exactly what it finished, no more (nothing lost)
// and no less (nothing produced twice after the next start):
//  1. SIGINT while 4,000 raw records flow: exit 0, and every record the decoder
//     produced is covered by its commit (decoded records = committed raw
//     offsets; the decoder writes one decoded record per raw one).
//  2. `up` again, the rest flows through, SIGINT once idle: exit 0, every
//     group's committed offsets equal its topic's end offsets, and the decoded
//     topic holds exactly one record per raw record (none lost, none twice).
// No timing is asserted (npm run measure:shutdown -w services/cli measures it).
// The collector follows the shared engine: another program's container event
// in the instant before the signal of step 2 would reach the raw topic after
// the decoder stopped (not lost: it waits past the committed offset); on CI
// nothing else uses the engine meanwhile.

const logger = createLogger("shutdown-test", process.env.LOG_LEVEL ?? "warn");

interface Up {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | string>;
}

function startUp(env: Record<string, string>): Up {
  const child = spawn(process.execPath, [join(repoRoot, "services/cli/dist/cli.js"), "up", "--no-infra", "--plain"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string>((r) => child.once("exit", (code, signal) => r(code ?? signal ?? "?")));
  return { child, output: () => out, exited };
}

async function running(up: Up): Promise<void> {
  await waitFor(
    "dockwatch up running",
    async () => {
      if (up.child.exitCode !== null) throw new Error(`dockwatch up exited ${up.child.exitCode}:\n${up.output().slice(-4000)}`);
      return up.output().includes("dockwatch is running");
    },
    180_000,
    200,
  ).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${up.output().slice(-4000)}`);
  });
}

/** Per partition: the group's committed offset (0 when none) and the topic's end offset. */
async function positions(admin: Admin, groupId: string, topic: string): Promise<Array<{ partition: number; committed: bigint; end: bigint }>> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  return ends
    .map(({ partition, high }) => {
      const c = committed?.partitions.find((p) => p.partition === partition)?.offset ?? "-1";
      return { partition, committed: c === "-1" ? 0n : BigInt(c), end: BigInt(high) };
    })
    .sort((a, b) => a.partition - b.partition);
}

const total = (ps: Array<{ committed: bigint; end: bigint }>, key: "committed" | "end") => ps.reduce((n, p) => n + p[key], 0n);

describe("Ctrl-C on dockwatch up", () => {
  const run = unique("shutdown");
  const dir = mkdtempSync(join(tmpdir(), `${run}-`));
  const env: Record<string, string> = {
    ...stackEnv(run, join(dir, "collector")),
    // Its own logs and pid file, not the shared infra/.local's.
    DOCKWATCH_INFRA_STATE: join(dir, "state"),
    // No heartbeat record in the instant of the stop.
    HEARTBEAT_INTERVAL: "1h",
  };
  const groups = [
    { groupId: env.DECODER_CONSUMER_GROUP!, topic: env.TOPIC_RAW! },
    { groupId: env.RULES_CONSUMER_GROUP!, topic: env.TOPIC_DECODED! },
    { groupId: env.SINK_CONSUMER_GROUP!, topic: env.TOPIC_ALERTS! },
  ];
  const clients = createPipelineClients({ settings: kafkaSettings(env, "shutdown-test"), logger, writes: ["DockerEvent"], topics: [{ topic: env.TOPIC_RAW! }] });
  const admin = clients.kafka.admin();
  let up: Up | undefined;

  after(async () => {
    if (up && up.child.exitCode === null) up.child.kill("SIGKILL");
    await admin.disconnect();
    for (const c of [...clients.components].reverse()) await c.stop().catch(() => undefined);
    const es = new Client({ node: infra.elasticsearchUrl });
    await es.indices.delete({ index: `${env.SINK_INDEX_PREFIX}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
    await es.indices.deleteIndexTemplate({ name: env.SINK_INDEX_PREFIX! }).catch(() => undefined);
    await es.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits what each stage finished, and only that, when stopped in full flow and when idle", async () => {
    for (const name of SERVICES) env[`${name.toUpperCase()}_HEALTH_PORT`] = String(await freePort());
    up = startUp(env);
    await running(up);
    for (const c of clients.components) await c.start();
    await admin.connect();

    // 1. SIGINT in full flow.
    const records: DockerEvent[] = Array.from({ length: 4000 }, (_, i) => rawFromEngineLine(containerLine("start", { name: `${run}-${i % 97}` }, `${run}-${i % 97}`)));
    for (let i = 0; i < records.length; i += 500) {
      const messages = await Promise.all(records.slice(i, i + 500).map(async (r, j) => ({ key: `${run}-${(i + j) % 97}`, value: await clients.codec.encode("DockerEvent", r) })));
      await clients.producer.send({ topic: env.TOPIC_RAW!, acks: -1, messages });
    }
    await waitFor("the first decoded records", async () => total(await positions(admin, groups[1]!.groupId, groups[1]!.topic), "end") > 100n, 60_000, 20);
    up.child.kill("SIGINT");
    assert.equal(await up.exited, 0, up.output().slice(-4000));
    const raw = await positions(admin, groups[0]!.groupId, groups[0]!.topic);
    const decodedEnd = total(await positions(admin, groups[1]!.groupId, groups[1]!.topic), "end");
    assert.ok(total(raw, "committed") > 0n, "the decoder committed nothing before it stopped");
    assert.equal(decodedEnd, total(raw, "committed"), "decoded records that the decoder's commit does not cover (they would be produced again)");
    for (const { groupId, topic } of groups) {
      for (const p of await positions(admin, groupId, topic)) assert.ok(p.committed <= p.end, `${groupId} committed past the end of ${topic}/${p.partition}`);
    }

    // 2. Up again: the rest goes through; SIGINT once idle.
    up = startUp(env);
    await running(up);
    await waitFor(
      "every group at the end of its topic",
      async () => {
        for (const { groupId, topic } of groups) {
          const ps = await positions(admin, groupId, topic);
          if (ps.some((p) => p.committed !== p.end)) return false;
        }
        return true;
      },
      120_000,
      250,
    );
    up.child.kill("SIGINT");
    assert.equal(await up.exited, 0, up.output().slice(-4000));
    for (const { groupId, topic } of groups) {
      const ps = await positions(admin, groupId, topic);
      assert.deepEqual(
        ps.map((p) => p.committed),
        ps.map((p) => p.end),
        `${groupId}: committed offsets are not the end offsets of ${topic}`,
      );
    }
    const rawEnd = total(await positions(admin, groups[0]!.groupId, groups[0]!.topic), "end");
    assert.ok(rawEnd >= BigInt(records.length));
    assert.equal(total(await positions(admin, groups[1]!.groupId, groups[1]!.topic), "end"), rawEnd, "one decoded record per raw record");
  });
});

// Ctrl-C on `dockwatch up`, measured: the real command (`dockwatch up
// --no-infra --plain`, the four real services) on its own topics, groups,
// ports, log and pid directory, SIGINT, the time to its exit, and where each
// stage's consumer group stands afterwards. Used by measure-shutdown.ts
// (npm run measure:shutdown -w services/cli) and by the bench's shutdown phase.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { kafkaSettings } from "@dockwatch/config";
import { containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { freePort, waitFor } from "@dockwatch/test-helpers";
import type { Admin } from "kafkajs";
import { SERVICES } from "../src/services.js";
import { repoRoot } from "../src/paths.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Up {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
}

/** `env` with a free health port for each service (what `dockwatch up` gives them: beside `npm start`). */
export async function withHealthPorts(env: Record<string, string>): Promise<Record<string, string>> {
  const out = { ...env };
  for (const name of SERVICES) out[`${name.toUpperCase()}_HEALTH_PORT`] = String(await freePort());
  return out;
}

/** Starts `dockwatch up --no-infra --plain` (of the checkout `root`) and resolves once it says it is running. */
export async function startUp(env: Record<string, string>, root = repoRoot, timeoutMs = 180_000): Promise<Up> {
  const child = spawn(process.execPath, [join(root, "services/cli/dist/cli.js"), "up", "--no-infra", "--plain"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string>((r) => child.once("exit", (code, signal) => r(code ?? signal ?? 0)));
  // If this process goes, `up` goes too (it stops its services).
  const kill = () => child.kill("SIGINT");
  process.once("exit", kill);
  void exited.then(() => process.removeListener("exit", kill));
  const up: Up = { child, output: () => out, exited };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes("dockwatch is running")) {
    if (Date.now() > deadline || child.exitCode !== null) {
      if (child.exitCode === null) child.kill("SIGKILL");
      throw new Error(`dockwatch up did not start:\n${out.slice(-3000)}`);
    }
    await sleep(100);
  }
  return up;
}

/** SIGINT, as Ctrl-C sends it; ms from the signal to the exit, and the exit code. SIGKILL after `timeoutMs`. */
export async function interrupt(up: Up, timeoutMs = 60_000): Promise<{ ms: number; code: number | string }> {
  const t0 = performance.now();
  up.child.kill("SIGINT");
  const timer = setTimeout(() => up.child.kill("SIGKILL"), timeoutMs);
  const code = await up.exited;
  clearTimeout(timer);
  return { ms: Math.round(performance.now() - t0), code };
}

/** Produces `n` raw container events to the run's raw topic; resolves once more than 100 are decoded (in full flow). */
export async function flow(env: Record<string, string>, n: number): Promise<void> {
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
    await waitFor("decoded records", async () => (await decoded()) > Math.min(100, n - 1), 60_000, 20);
  } finally {
    await admin.disconnect();
    for (const c of [...clients.components].reverse()) await c.stop();
  }
}

export interface GroupPosition {
  group: string;
  topic: string;
  /** Records of the topic the group committed (a partition without a commit counts 0). */
  committed: number;
  end: number;
}

/** Where the decoder, rules and sink groups of `env` stand on their input topics; and how many records the decoder produced. */
export async function positions(admin: Admin, env: Record<string, string>): Promise<{ groups: GroupPosition[]; decodedEnd: number }> {
  const pairs = [
    { group: env.DECODER_CONSUMER_GROUP!, topic: env.TOPIC_RAW! },
    { group: env.RULES_CONSUMER_GROUP!, topic: env.TOPIC_DECODED! },
    { group: env.SINK_CONSUMER_GROUP!, topic: env.TOPIC_ALERTS! },
  ];
  const groups: GroupPosition[] = [];
  for (const { group, topic } of pairs) {
    const [ends, [mine]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: group, topics: [topic] })]);
    let committed = 0;
    let end = 0;
    for (const p of ends) {
      end += Number(p.high) - Number(p.low);
      const c = Number(mine?.partitions.find((q) => q.partition === p.partition)?.offset ?? -1);
      committed += c < 0 ? 0 : c - Number(p.low);
    }
    groups.push({ group, topic, committed, end });
  }
  return { groups, decodedEnd: groups[1]!.end };
}

/** Until every group has committed the end of its topic (what was produced is all processed). */
export async function drainedUp(admin: Admin, env: Record<string, string>, up: Up, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    "every group at the end of its topic",
    async () => {
      if (up.child.exitCode !== null) throw new Error(`dockwatch up exited ${up.child.exitCode}:\n${up.output().slice(-3000)}`);
      return (await positions(admin, env)).groups.every((g) => g.committed === g.end);
    },
    timeoutMs,
    250,
  );
}

// Shared plumbing of the collector's integration tests: a unique Kafka world,
// a reader of the raw topic, the engine's own view of event times.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCodec, MemorySchemaStore } from "@dockwatch/codec";
import type { DockerEvent } from "@dockwatch/contracts";
import { createKafka } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import type { Consumer } from "kafkajs";
import { kafkaSettings } from "@dockwatch/config";
import { after, before } from "node:test";
import { loadCollectorConfig, startCollector } from "../../src/index.js";

export const logger = createLogger("collector-test", "warn");

export interface World {
  env: Record<string, string>;
  /** A fresh env for one collector instance: own state dir, own agent id. */
  collectorEnv(agentId?: string, stateDir?: string): Record<string, string>;
}

export function newWorld(): World {
  const env = {
    ...infra.kafkaEnv,
    TOPIC_RAW: unique("collector-raw"),
    TOPIC_DLQ: unique("collector-dlq"),
    TOPIC_SCHEMAS: unique("collector-schemas"),
    HEALTH_PORT: "0",
    LOG_LEVEL: "warn",
  };
  return {
    env,
    collectorEnv: (agentId = unique("agent"), stateDir = mkdtempSync(join(tmpdir(), "collector-state-"))) => ({
      ...env,
      AGENT_ID: agentId,
      AGENT_NAME: agentId,
      COLLECTOR_STATE_DIR: stateDir,
    }),
  };
}

/** Everything the raw topic holds, decoded, read from the beginning by a group of its own. */
export class RawReader {
  readonly records: { key: string; value: DockerEvent }[] = [];
  private consumer?: Consumer;

  constructor(private readonly env: Record<string, string>) {}

  async start(): Promise<void> {
    const settings = kafkaSettings(this.env, "collector-test");
    const kafka = createKafka(settings, logger);
    const codec = createCodec({ store: new MemorySchemaStore() });
    this.consumer = kafka.consumer({ groupId: unique("collector-test") });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: settings.topics.raw, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.records.push({ key: message.key?.toString() ?? "", value: await codec.decode<DockerEvent>("DockerEvent", message.value!) });
      },
    });
  }

  /** Engine/synthesized records about the given actors (other tests share the engine). */
  about(actors: Set<string>, agentId?: string): DockerEvent[] {
    return this.records
      .map((r) => r.value)
      .filter((v) => v.event && actors.has(v.event.Actor.ID) && (agentId === undefined || v.agent.id === agentId));
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** `docker events` as the engine's own witness of the times it sent. */
export class EngineWitness {
  readonly lines: { type: string; action: string; actor: string; name: string; timeNano: string }[] = [];
  private child: ChildProcess;
  private buffer = "";

  constructor() {
    this.child = spawn("docker", ["events", "--format", "{{.Type}}\t{{.Action}}\t{{.Actor.ID}}\t{{index .Actor.Attributes \"name\"}}\t{{.TimeNano}}"]);
    this.child.stdout!.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString();
      const parts = this.buffer.split("\n");
      this.buffer = parts.pop() ?? "";
      for (const p of parts) {
        const [type = "", action = "", actor = "", name = "", timeNano = ""] = p.split("\t");
        this.lines.push({ type, action, actor, name, timeNano });
      }
    });
  }

  /** Resolves once `docker events` is attached (it prints nothing until an event). */
  static async start(): Promise<EngineWitness> {
    const w = new EngineWitness();
    await new Promise((r) => setTimeout(r, 500));
    return w;
  }

  stop(): void {
    this.child.kill();
  }
}

export const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A collector in this process, configured only by `env`. */
export const startInProcess = (env: Record<string, string>) => startCollector(loadCollectorConfig(env), logger);

/** One engine event as `type action actor timeNano`, the form the engine witness gives too. */
export const summary = (v: DockerEvent) => `${v.event!.Type} ${v.event!.Action} ${v.event!.Actor.ID} ${String(v.event!.timeNano)}`;

/** The raw topic of `world`, read from the start of the enclosing suite to its end. */
export function readRawDuringSuite(world: World): RawReader {
  const reader = new RawReader(world.env);
  before(async () => {
    // A first collector creates the topics and registers the schema before the reader subscribes.
    const first = await startInProcess(world.collectorEnv());
    await first.stop("topics ready");
    await reader.start();
  });
  after(() => reader.stop());
  return reader;
}

/** A port nothing listens on right now: the health server of a spawned collector, so a test can read its /metrics. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Waits until the collector serving health on `port` follows the engine's
 * live stream. A spawned collector needs a second or more (module loading,
 * engine handshake) before it sees events, and on its first start nothing
 * tells it what happened before: a fixed sleep races with that on a slow host.
 */
export async function waitForEngineAttached(port: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    "the collector attached to the engine's event stream",
    async () => /^dockwatch_collector_engine_connected 1$/m.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
    timeoutMs,
    100,
  );
}

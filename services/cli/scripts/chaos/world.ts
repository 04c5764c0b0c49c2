// The chaos run's world on the real stack: the four services (startStack: own
// topics, groups, Redis prefix, index prefix), a private Redis the run may
// stop, a producer that injects raw records and hostile messages, a reader of
// the stack's DLQ, a follower of the engine's events for the run's containers,
// and the Elasticsearch reads that end each scenario.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { identitySettings, kafkaSettings } from "@dockwatch/config";
import type { Engine } from "@dockwatch/contracts";
import { createPipelineClients, DLQ_HEADERS, type PipelineClients } from "@dockwatch/kafka";
import { alertingSettings, loadRuleset, version, type AlertContext } from "@dockwatch/rule-engine";
import { createLogger } from "@dockwatch/runtime";
import { docker, freePort, waitFor } from "@dockwatch/test-helpers";
import type { Consumer } from "kafkajs";
import { spawnService, type ServiceName, type ServiceProcess } from "../../src/index.js";
import { startStack, type TestStack } from "../../test/integration/stack.js";
import type { IndexedDoc } from "./compare.js";
import type { Agent, Expectation } from "./workload.js";

export type Log = (line: string) => void;

export interface DeadLetterSeen {
  stage: string;
  reason: string;
  sourceTopic: string;
}

/** A private redis-server on a free port, with AOF in a temporary dir, that the run can stop and start again. */
export class PrivateRedis {
  private child?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), "dockwatch-chaos-redis-"));
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--appendonly", "yes", "--save", ""], { stdio: "ignore" });
    const child = this.child;
    process.once("exit", () => child.kill("SIGTERM"));
    await waitFor(`redis on :${this.port}`, async () => {
      const { createConnection } = await import("node:net");
      return new Promise<boolean>((resolve) => {
        const s = createConnection(this.port, "127.0.0.1", () => {
          s.end();
          resolve(true);
        });
        s.on("error", () => resolve(false));
      });
    }, 15_000);
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Follows `docker events` for the run's label; restarts after the engine comes back (dockerd restart). */
export class EngineEvents {
  readonly lines: string[] = [];
  private readonly seen = new Set<string>();
  private child?: ChildProcess;
  private stopped = false;
  private lastSeconds = Math.floor(Date.now() / 1000);
  constructor(private readonly label: string, private readonly log: Log) {}
  start(): void {
    if (this.stopped) return;
    const child = spawn("docker", ["events", "--since", String(this.lastSeconds), "--filter", `label=${this.label}`, "--format", "{{json .}}"], { stdio: ["ignore", "pipe", "ignore"] });
    this.child = child;
    process.once("exit", () => child.kill("SIGTERM"));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /"timeNano":(\d+)/.exec(line);
      const key = `${m?.[1]}|${/"Action":"([^"]*)"/.exec(line)?.[1]}|${/"id":"([^"]*)"/.exec(line)?.[1]}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
      this.lines.push(line);
      if (m) this.lastSeconds = Math.floor(Number(BigInt(m[1]!) / 1_000_000_000n));
    });
    child.once("exit", () => {
      if (this.stopped) return;
      // The engine went away (or restarted): follow again from the last event seen, once it answers.
      setTimeout(() => this.start(), 1000);
    });
  }
  stop(): void {
    this.stopped = true;
    this.child?.kill("SIGTERM");
  }
  /** Engine lines of containers whose name starts with `prefix`. */
  linesFor(prefix: string): string[] {
    return this.lines.filter((l) => (/"name":"([^"]*)"/.exec(l)?.[1] ?? "").startsWith(prefix));
  }
}

export interface World {
  run: string;
  stack: TestStack;
  redis: PrivateRedis;
  clients: PipelineClients;
  topics: { raw: string; decoded: string; alerts: string; dlq: string };
  /** Identity the injected records carry (an agent of their own, the real engine's id). */
  agent: Agent;
  engine: Engine;
  /** What the collector stamps on real engine events (AGENT_ID of the stack). */
  collectorAgent: Agent;
  expectation: Expectation;
  deadLetters: Map<string, DeadLetterSeen>;
  engineEvents: EngineEvents;
  label: string;
  log: Log;
  /** The running process of a service (the harness replaces it when it restarts one). */
  service(name: ServiceName): ServiceProcess;
  /** Starts a service again with the stack's environment, waits until it is ready. */
  respawn(name: ServiceName): Promise<ServiceProcess>;
  /** Alerts in the alias whose Actor.ID starts with one of `prefixes` or is one of `ids`. */
  alertsOf(prefixes: string[], ids: string[]): Promise<IndexedDoc[]>;
  /** Appends the services' output lines not written yet to `file` (the run's services log). */
  flushOutput(file: string): void;
  close(): Promise<void>;
}

export async function openWorld(run: string, log: Log, env: Record<string, string> = {}): Promise<World> {
  const redis = new PrivateRedis(await freePort());
  await redis.start();
  log(`private redis on :${redis.port}`);
  const label = `dockwatch.chaos=${run}`;
  const collectorAgent: Agent = { id: `${run}-host`, name: `${run}-host`, ip: "127.0.0.1" };
  const stackEnvOverrides = { REDIS_URL: redis.url, AGENT_ID: collectorAgent.id, AGENT_NAME: collectorAgent.name, AGENT_IP: collectorAgent.ip, LOG_LEVEL: "warn", ...env };
  log(`starting the stack ${run} (sink, rules, decoder, collector)…`);
  const stack = await startStack({ run, env: stackEnvOverrides });
  const fullEnv = { ...process.env, ...stack.env } as Record<string, string>;
  const settings = kafkaSettings({ ...fullEnv, KAFKA_CLIENT_ID: `${run}-chaos` }, "chaos");
  const logger = createLogger("chaos", "error");
  const clients = createPipelineClients({ settings, logger, writes: ["DockerEvent", "DecodedEvent", "Alert"], topics: [] });
  for (const c of clients.components) await c.start();
  const topics = { raw: stack.env.TOPIC_RAW!, decoded: stack.env.TOPIC_DECODED!, alerts: stack.env.TOPIC_ALERTS!, dlq: stack.env.TOPIC_DLQ! };

  const deadLetters = new Map<string, DeadLetterSeen>();
  const dlqReader: Consumer = clients.kafka.consumer({ groupId: `${run}-chaos-dlq` });
  await dlqReader.connect();
  await dlqReader.subscribe({ topic: topics.dlq, fromBeginning: true });
  await dlqReader.run({
    eachMessage: async ({ message }) => {
      const h = (name: string) => message.headers?.[name]?.toString() ?? "";
      const key = message.key?.toString() ?? `(no key) ${h(DLQ_HEADERS.topic)}/${h(DLQ_HEADERS.partition)}/${h(DLQ_HEADERS.offset)}`;
      deadLetters.set(key, { stage: h(DLQ_HEADERS.stage), reason: h(DLQ_HEADERS.reason), sourceTopic: h(DLQ_HEADERS.topic) });
    },
  });

  const info = JSON.parse(await docker("info", "--format", "{{json .}}")) as { ID: string; Name: string; ServerVersion: string };
  const engine: Engine = { id: info.ID, hostname: info.Name, version: info.ServerVersion, apiVersion: "1.41" };
  const agent: Agent = { id: `${run}-inject`, name: `${run}-inject`, ip: "192.0.2.1" };
  const alerting = alertingSettings(fullEnv);
  const identity = identitySettings(fullEnv);
  const ruleset = loadRuleset(alerting.sources);
  const ctx = (): AlertContext => ({ manager: identity.manager, cluster: identity.cluster, location: identity.location, version, ruleset: ruleset.hash, now: new Date(), utcOffsetMinutes: 0 });
  const engineEvents = new EngineEvents(label, log);
  engineEvents.start();

  const byName = new Map<ServiceName, ServiceProcess>(stack.services.map((s) => [s.name, s]));
  let written = 0;
  return {
    run,
    stack,
    redis,
    clients,
    topics,
    agent,
    engine,
    collectorAgent,
    expectation: { ruleset, minLevel: alerting.minLevel, ctx },
    deadLetters,
    engineEvents,
    label,
    log,
    service: (name) => byName.get(name)!,
    async respawn(name) {
      const s = spawnService(name, { env: stack.env, healthPort: await freePort(), onLine: (svc, line) => stack.output.push(`${svc}#r | ${line}`) });
      byName.set(name, s);
      stack.services[stack.services.findIndex((p) => p.name === name)] = s;
      await s.waitReady(180_000);
      return s;
    },
    async alertsOf(prefixes, ids) {
      const es = stack.es;
      await es.indices.refresh({ index: stack.alertsIndex, ignore_unavailable: true, allow_no_indices: true });
      const should = [...prefixes.map((p) => ({ prefix: { "data.docker.Actor.ID": p } })), ...(ids.length ? [{ terms: { "data.docker.Actor.ID": ids } }] : [])];
      const docs: IndexedDoc[] = [];
      let after: unknown[] | undefined;
      for (;;) {
        const res = await es.search({
          index: stack.alertsIndex,
          ignore_unavailable: true,
          allow_no_indices: true,
          size: 5000,
          _source: ["agent.id", "rule.id", "data.docker.timeNano", "data.docker.Actor.ID", "data.docker.Type", "data.docker.Action"],
          query: { bool: { should, minimum_should_match: 1 } },
          sort: [{ _index: "asc" }, { id: "asc" }],
          ...(after ? { search_after: after } : {}),
        });
        const hits = res.hits.hits;
        for (const h of hits) docs.push({ _id: h._id!, _index: h._index, doc: h._source as IndexedDoc["doc"] });
        if (hits.length < 5000) return docs;
        after = hits[hits.length - 1]!.sort as unknown[];
      }
    },
    flushOutput(file) {
      const lines = stack.output.slice(written);
      written += lines.length;
      if (lines.length) appendFileSync(file, lines.map((l) => `${run} ${l}\n`).join(""));
    },
    async close() {
      engineEvents.stop();
      await dlqReader.disconnect().catch(() => undefined);
      for (const c of [...clients.components].reverse()) await c.stop().catch(() => undefined);
      await stack.stop().catch((err: unknown) => log(`stack stop: ${(err as Error).message}`));
      await redis.dispose();
    },
  };
}

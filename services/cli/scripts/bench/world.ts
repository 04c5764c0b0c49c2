// The bench's world on the shared stack: its Kafka clients and topics, the
// service processes it starts per phase (`node services/<name>/dist/main.js`,
// the env of the end-to-end tests: stackEnv), Elasticsearch behind the recording proxy
// (es-proxy.ts), and what must go at the end.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@elastic/elasticsearch";
import { kafkaSettings } from "@dockwatch/config";
import { DEFAULT_PARTITIONS } from "@dockwatch/contracts";
import { createPipelineClients, createProducer, ensureTopics, type PipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { freePort, infra } from "@dockwatch/test-helpers";
import type { Admin } from "kafkajs";
import { repoRoot } from "../../src/paths.js";
import { SERVICES, spawnService, type ServiceName, type ServiceProcess } from "../../src/index.js";
import { stackEnv } from "../../test/integration/stack.js";
import { startEsProxy, type EsProxy } from "./es-proxy.js";
import { groupProgress, procSample, sharedCpu, sharedUsage, type ProcSample } from "./measure.js";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./profile.js";

export type Log = (line: string) => void;

/** Why the bench cannot start, in one line that says what to do. */
export class NotReady extends Error {}

/** Kafka, Elasticsearch and Redis answer, and the services are built; else a NotReady naming the missing part. */
export async function preflight(root = repoRoot): Promise<void> {
  for (const name of [...SERVICES, "cli"]) {
    const main = name === "cli" ? "dist/cli.js" : "dist/main.js";
    if (!existsSync(join(root, "services", name, main))) throw new NotReady(`${join(root, "services", name, main)} is missing: build first (npm run bench builds; or npx turbo run build)`);
  }
  const hint = "start the stack with `npm start` (or `infra/local up`)";
  const tcp = (url: string) =>
    new Promise<boolean>((resolve) => {
      const u = new URL(url.includes("://") ? url : `tcp://${url}`);
      const s = connect(Number(u.port), u.hostname, () => (s.end(), resolve(true)));
      s.setTimeout(3000, () => (s.destroy(), resolve(false)));
      s.on("error", () => resolve(false));
    });
  if (!(await tcp(infra.kafkaBrokers[0]!))) throw new NotReady(`Kafka is not answering at ${infra.kafkaBrokers.join(",")}: ${hint}, or set KAFKA_BROKERS`);
  if (!(await tcp(infra.redisUrl))) throw new NotReady(`Redis is not answering at ${infra.redisUrl}: ${hint}, or set REDIS_URL`);
  const es = new Client({ node: infra.elasticsearchUrl });
  try {
    // Health, not GET /: what a cluster answers even behind a proxy that only passes the APIs.
    await es.cluster.health({}, { requestTimeout: 5000 });
  } catch (err) {
    throw new NotReady(`Elasticsearch is not answering at ${infra.elasticsearchUrl} (${(err as Error).message}): ${hint}, or set ELASTICSEARCH_URL`);
  } finally {
    await es.close();
  }
}

export interface Instance {
  label: string;
  process: ServiceProcess;
  /** CPU used when it was ready: what start-up cost. */
  readyCpu: number;
  /** Peak RSS when it was ready, before the phase's load: what the process is without data. */
  readyRssBytes?: number;
  /** The shared processes' CPU when the phase's services were all ready. */
  sharedReady?: Map<string, number>;
  /** Where its V8 CPU profile goes (bench --cpu-prof), written when it exits. */
  profile?: { phase: string; file: string };
}

/** One process's CPU profile of one phase, summarized. */
export interface ProfileEntry {
  phase: string;
  service: string;
  /** The .cpuprofile, relative to the report directory (open it in Chrome DevTools or speedscope). */
  file: string;
  summary?: ProfileSummary;
  error?: string;
}

export interface WorldOptions {
  /** With --cpu-prof: the report directory; each phase's profiles go to <dir>/prof/<phase>/<service>.cpuprofile. */
  profileDir?: string;
  /** The checkout whose services run (default this one). */
  servicesRoot?: string;
}

export interface Usage {
  service: string;
  peakRssMB: number;
  cpuSeconds: number;
  /** CPU after it was ready: the work of the phase. */
  workCpuSeconds: number;
  /** Peak RSS when the process was ready, before the phase's load. */
  readyRssMB?: number;
  /** Kafka, Elasticsearch or Redis (infra/local's), not a dockwatch process: its CPU over the phase, no RSS. */
  shared?: boolean;
}

export interface BenchWorld {
  run: string;
  clients: PipelineClients;
  admin: Admin;
  /** Elasticsearch, directly (the bench's reads). */
  es: Client;
  /** Elasticsearch through the recording proxy (what the sinks and the plain _bulk write through). */
  esProxied: Client;
  proxy: EsProxy;
  log: Log;
  /** The env of every service: stackEnv of the run (its schema topic, DLQ, Redis, index prefix) and LOG_LEVEL=warn. */
  env: Record<string, string>;
  /** Every output line of every service, `<label> | <line>`. */
  output: string[];
  topic(name: string): Promise<string>;
  /**
   * Starts these services at once (so instances of one group join one generation), resolves when every one is ready.
   * `phase` names the measurement: with --cpu-prof, the processes of a phase are profiled.
   */
  start(specs: Array<{ name: ServiceName; env: Record<string, string>; label: string }>, phase?: string): Promise<Instance[]>;
  /** The profiles of the processes stopped so far (bench --cpu-prof). */
  profiles: ProfileEntry[];
  /** The checkout whose services run. */
  servicesRoot: string;
  /** Runs at close, before the topics go (what a phase made outside Kafka and Elasticsearch: containers). */
  defer(fn: () => Promise<void>): void;
  /** Peak RSS and CPU of each, then SIGTERM to all at once. */
  stop(instances: Instance[]): Promise<Usage[]>;
  /** Polls until the group committed every record of `topic` (or `records` of them: a held input's, gate.ts); throws when a service exits or the timeout passes. */
  drained(group: string, topic: string, instances: Instance[], what: string, timeoutMs: number, records?: number): Promise<void>;
  /** The sink's index template (as a sink installs it) for `<prefix>-*` with alias `<prefix>`; returns the pattern. */
  prepareIndices(prefix: string): Promise<string>;
  /** True once close() began (an interrupted run): no phase starts anything more. */
  readonly closing: boolean;
  /** An index prefix the sink makes (indices and template deleted at the end). */
  track(prefix: string): void;
  close(keep: boolean): Promise<void>;
}

export async function openWorld(run: string, log: Log, wopts: WorldOptions = {}): Promise<BenchWorld> {
  const stateDir = mkdtempSync(join(tmpdir(), `${run}-`));
  const proxy = await startEsProxy(infra.elasticsearchUrl);
  const env: Record<string, string> = { ...stackEnv(run, stateDir), REDIS_URL: infra.redisUrl, ELASTICSEARCH_URL: proxy.url, LOG_LEVEL: "warn" };
  const settings = kafkaSettings({ ...process.env, ...env, KAFKA_CLIENT_ID: `${run}-bench` }, "bench");
  const logger = createLogger("bench", "error");
  const clients = createPipelineClients({ settings, logger, writes: ["DockerEvent", "DecodedEvent", "Alert"], topics: [] });
  for (const c of clients.components) await c.start();
  const admin = clients.kafka.admin();
  await admin.connect();
  const es = new Client({ node: infra.elasticsearchUrl });
  const esProxied = new Client({ node: proxy.url });
  const topics: string[] = [];
  const prefixes: string[] = [];
  const output: string[] = [];
  let templateBody: Record<string, unknown> | undefined;
  const live = new Set<Instance>();
  const deferred: Array<() => Promise<void>> = [];
  const profiles: ProfileEntry[] = [];
  const servicesRoot = wopts.servicesRoot ?? repoRoot;
  let closing = false;

  const world: BenchWorld = {
    run,
    clients,
    admin,
    es,
    esProxied,
    proxy,
    log,
    env,
    output,
    profiles,
    servicesRoot,
    defer(fn) {
      deferred.push(fn);
    },
    async topic(name) {
      const topic = `${run}.${name}`;
      await ensureTopics(admin, [{ topic, numPartitions: DEFAULT_PARTITIONS }], { durability: settings.durability });
      topics.push(topic);
      return topic;
    },
    get closing() {
      return closing;
    },
    async start(specs, phase) {
      if (closing) throw new Error("the bench is stopping");
      const started: Instance[] = [];
      for (const s of specs) {
        const profile = wopts.profileDir && phase ? { phase, file: join("prof", fileSafe(phase), `${fileSafe(s.label)}.cpuprofile`) } : undefined;
        if (profile) mkdirSync(join(wopts.profileDir!, "prof", fileSafe(phase!)), { recursive: true });
        const execArgv = profile ? ["--cpu-prof", `--cpu-prof-dir=${join(wopts.profileDir!, "prof", fileSafe(phase!))}`, `--cpu-prof-name=${fileSafe(s.label)}.cpuprofile`] : [];
        const p = spawnService(s.name, { env: { ...env, ...s.env }, healthPort: await freePort(), onLine: (_svc, line) => output.push(`${s.label} | ${line}`), execArgv, root: servicesRoot });
        const inst: Instance = { label: s.label, process: p, readyCpu: 0, profile };
        started.push(inst);
        live.add(inst);
      }
      try {
        await Promise.all(
          started.map(async (i) => {
            await i.process.waitReady(180_000);
            const ready = procSample(i.process.child.pid!);
            i.readyCpu = ready?.cpuSeconds ?? 0;
            i.readyRssBytes = ready?.peakRssBytes;
          }),
        );
        const shared = sharedCpu(repoRoot);
        for (const i of started) i.sharedReady = shared;
      } catch (err) {
        if (closing) throw new Error("the bench is stopping");
        await world.stop(started);
        throw new Error(`${(err as Error).message}\n${output.slice(-20).join("\n")}`);
      }
      return started;
    },
    async stop(instances) {
      const usage = instances.map((i) => {
        const s: ProcSample | undefined = procSample(i.process.child.pid!);
        const usage: Usage = { service: i.label, peakRssMB: (s?.peakRssBytes ?? 0) / 1048576, cpuSeconds: s?.cpuSeconds ?? 0, workCpuSeconds: (s?.cpuSeconds ?? 0) - i.readyCpu };
        if (i.readyRssBytes !== undefined) usage.readyRssMB = i.readyRssBytes / 1048576;
        return usage;
      });
      const ready = instances[0]?.sharedReady;
      if (ready) usage.push(...sharedUsage(ready, sharedCpu(repoRoot)));
      await Promise.all(instances.map((i) => i.process.stop()));
      for (const i of instances) live.delete(i);
      // Written by the process as it exits (a clean exit: the services handle SIGTERM).
      for (const i of instances) if (i.profile) profiles.push(readProfile(wopts.profileDir!, i.profile.phase, i.label, i.profile.file));
      return usage;
    },
    async drained(group, topic, instances, what, timeoutMs, records) {
      const deadline = Date.now() + timeoutMs;
      let lastLog = Date.now();
      for (;;) {
        const gone = instances.find((i) => i.process.child.exitCode !== null || i.process.child.signalCode !== null);
        if (gone) throw new Error(`${gone.label} exited during ${what}\n${output.slice(-20).join("\n")}`);
        const p = await groupProgress(admin, group, topic);
        const end = records ?? p.end;
        if (end > 0 && p.committed >= end) return;
        if (Date.now() > deadline) throw new Error(`${what}: ${p.committed} of ${end} records of ${topic} committed by ${group} within ${timeoutMs / 1000} s\n${output.slice(-20).join("\n")}`);
        if (Date.now() - lastLog >= 5000) {
          log(`${what}: ${p.committed.toLocaleString("en")} / ${end.toLocaleString("en")} records of ${topic.slice(run.length + 1)} done`);
          lastLog = Date.now();
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async prepareIndices(prefix) {
      if (!templateBody) templateBody = await sinkTemplate(world);
      const t = templateBody.template as Record<string, unknown>;
      await es.indices.putIndexTemplate({ name: prefix, ...templateBody, index_patterns: [`${prefix}-*`], template: { ...t, aliases: { [prefix]: {} } } } as never);
      prefixes.push(prefix);
      return `${prefix}-*`;
    },
    track(prefix) {
      prefixes.push(prefix);
    },
    async close(keep) {
      if (closing) return;
      closing = true;
      await Promise.all([...live].map((i) => i.process.stop()));
      for (const fn of deferred) await fn().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
      await proxy.close().catch(() => undefined);
      // The schema store follows the run's schema topic: stopped before the topic goes.
      for (const c of [...clients.components].reverse()) await c.stop().catch(() => undefined);
      if (!keep) {
        for (const p of prefixes) {
          await es.indices.delete({ index: `${p}-*`, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
          await es.indices.deleteIndexTemplate({ name: p }).catch(() => undefined);
        }
        const all = [...topics, env.TOPIC_SCHEMAS!, env.TOPIC_DLQ!];
        const existing = new Set(await admin.listTopics().catch(() => [] as string[]));
        await admin.deleteTopics({ topics: all.filter((t) => existing.has(t)) }).catch((err: unknown) => log(`deleting the bench's topics: ${(err as Error).message}`));
      }
      await admin.disconnect().catch(() => undefined);
      await es.close().catch(() => undefined);
      await esProxied.close().catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
  return world;
}

const fileSafe = (s: string) => s.replaceAll("×", "x").replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-|-$/g, "");

function readProfile(dir: string, phase: string, service: string, file: string): ProfileEntry {
  try {
    return { phase, service, file, summary: summarizeProfile(JSON.parse(readFileSync(join(dir, file), "utf8")) as CpuProfile) };
  } catch (err) {
    return { phase, service, file, error: (err as Error).message.split("\n")[0] };
  }
}

/** The sink's index template as the sink installs it: one sink started on an empty topic, asked, stopped. */
async function sinkTemplate(world: BenchWorld): Promise<Record<string, unknown>> {
  const prefix = `${world.run}-template`;
  const empty = await world.topic("template.alerts");
  const [sink] = await world.start([{ name: "sink", label: "sink (template)", env: { TOPIC_ALERTS: empty, SINK_CONSUMER_GROUP: `${world.run}-template`, SINK_INDEX_PREFIX: prefix } }]);
  await world.stop([sink!]);
  const res = await world.es.indices.getIndexTemplate({ name: prefix });
  await world.es.indices.deleteIndexTemplate({ name: prefix });
  const body = { ...(res.index_templates[0]!.index_template as unknown as Record<string, unknown>) };
  delete body.composed_of;
  return body;
}

/** A dedicated idempotent producer (the services' own settings: acks=all, one request in flight). */
export async function benchProducer(world: BenchWorld) {
  const p = createProducer(world.clients.kafka);
  await p.connect();
  return p;
}

/** Runs a Java main of the project's Kafka jars (infra/local's cache) and gives its stdout; killed if the bench exits. */
export function kafkaTool(mainClass: string, args: string[]): Promise<string> {
  const home = process.env.KAFKA_HOME ?? join(process.env.DOCKWATCH_CACHE ?? join(process.env.HOME ?? "", ".cache/dockwatch"), `kafka-${process.env.KAFKA_VERSION ?? "4.4.0"}`);
  if (!existsSync(join(home, "libs"))) return Promise.reject(new NotReady(`Kafka's jars are not in ${home}/libs: \`infra/local up\` fetches them (or set KAFKA_HOME)`));
  return new Promise((resolve, reject) => {
    const child = spawn("java", ["-Xmx512m", `-Dlog4j2.configurationFile=${join(repoRoot, "infra/kafka/log4j2-tools.properties")}`, "-cp", `${home}/libs/*`, mainClass, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const kill = () => child.kill("SIGTERM");
    process.once("exit", kill);
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      process.removeListener("exit", kill);
      if (code === 0) resolve(out);
      else reject(new Error(`${mainClass} exited ${code}: ${err.trim().split("\n").slice(-3).join(" / ")}`));
    });
  });
}

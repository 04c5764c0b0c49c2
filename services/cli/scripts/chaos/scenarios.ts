// The chaos scenarios: each puts load on the stack, injects one fault, then
// waits until Elasticsearch holds every expected alert (and the DLQ every
// hostile message) or a timeout, and compares.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Alert, DecodedEvent } from "@dockwatch/contracts";
import { busyboxImage, docker, infraLocal } from "@dockwatch/test-helpers";
import { repoRoot } from "../../src/paths.js";
import type { Message } from "kafkajs";
import { SERVICES, type ServiceName } from "../../src/index.js";
import { compare, type Comparison } from "./compare.js";
import { hostileBatch, hostileKey, HOSTILE_TOPICS, OVERSIZE_BYTES, padding, type Encode, type HostileTopic, type Samples } from "./hostile.js";
import { acquireLock, type HeldLock } from "./lock.js";
import { expectedAlerts, expectedOfDecoded, rawRecord, SyntheticWorkload, type ExpectedAlert } from "./workload.js";
import type { World } from "./world.js";

export interface ChaosOptions {
  /** Synthetic raw events injected per second under load. */
  rate: number;
  /** Seconds of load around each fault (the fault lands at a random moment in it). */
  loadSeconds: number;
  /** Seconds Elasticsearch / Redis stay down. */
  outageSeconds: number;
  /** Hostile messages per topic. */
  hostile: number;
  /** Oversize (valid, padded) messages per topic, on top of the hostile ones. */
  oversize: number;
  /** Real containers run on the engine per scenario (docker run --rm … true, one after another). */
  engineRuns: number;
  /** Seconds to wait for the expected state after a fault before giving up. */
  settleSeconds: number;
  /** Seconds to wait for the exclusive infrastructure lock before skipping a scenario that needs it. */
  lockWaitSeconds: number;
}

export interface ScenarioResult {
  scenario: string;
  status: "pass" | "fail" | "skipped" | "error";
  expected: number;
  indexed: number;
  missing: number;
  duplicated: number;
  hostileSent: number;
  hostileInDlq: number;
  /** Oversize messages: carried through with their alerts, or dead-lettered; lost is the failure. */
  oversize: { sent: number; alerted: number; deadLettered: number; lost: number };
  /** From the end of the fault to the moment the expected state was complete (null if it never was). */
  recoveryMs: number | null;
  unexpected: Record<string, number>;
  /** Reasons the DLQ gave for this scenario's hostile messages. */
  dlqReasons: Record<string, number>;
  notes: string[];
  examples: { missing: string[]; duplicated: string[]; notInDlq: string[] };
}

export interface Scenario {
  name: string;
  description: string;
  /** Needs the shared infrastructure lock exclusively (stops a shared component). */
  exclusive?: boolean;
  run(ctx: ScenarioContext): Promise<void>;
  /** Why it cannot run here, if it cannot. */
  skip?(): Promise<string | undefined>;
  /** A world of its own (other infrastructure) instead of the run's shared one. */
  ownWorld?(run: string, log: (line: string) => void, open: (run: string, env: Record<string, string>) => Promise<World>): Promise<{ world: World; extra: unknown; dispose(): Promise<void> }>;
}

/** What a scenario records while it runs; the harness compares it at the end. */
export class Ledger {
  readonly expected = new Map<string, ExpectedAlert>();
  readonly hostileKeys = new Set<string>();
  /** Oversize key -> the alert ids it gives if carried through. */
  readonly oversize = new Map<string, string[]>();
  readonly notes: string[] = [];
  faultEndedAt: number | undefined;
  constructor(
    readonly name: string,
    readonly syntheticPrefix: string,
    readonly enginePrefix: string,
  ) {}
  expect(alerts: ExpectedAlert[]): void {
    for (const a of alerts) this.expected.set(a.id, a);
  }
}

export interface ScenarioContext {
  world: World;
  ledger: Ledger;
  opts: ChaosOptions;
  log: (line: string) => void;
  /** Runs load (synthetic events and engine containers) while `during` runs, and a few seconds after. */
  underLoad(during: (loadStartedAt: number) => Promise<void>): Promise<void>;
  /** Marks the end of the fault (recovery is measured from here). */
  faultEnded(): void;
  exclusiveLock(): Promise<HeldLock>;
  /** What the scenario's own world came with (ownWorld's extra). */
  extra?: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomBetween = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

/** A random moment in the middle of the load window, in ms from its start. */
function randomMoment(opts: ChaosOptions): number {
  return Math.round(randomBetween(0.2, 0.6) * opts.loadSeconds * 1000);
}

function killScenario(service: ServiceName, signal: "SIGKILL" | "SIGTERM"): Scenario {
  const verb = signal === "SIGKILL" ? "kill9" : "sigterm";
  return {
    name: `${verb}-${service}`,
    description: `${signal} of the ${service} at a random moment under load, restarted by the harness`,
    async run({ world, opts, log, underLoad, faultEnded }) {
      await underLoad(async () => {
        const at = randomMoment(opts);
        await sleep(at);
        const proc = world.service(service);
        log(`${signal} ${service} (pid ${proc.child.pid}) ${at} ms into the load`);
        if (signal === "SIGKILL") proc.child.kill("SIGKILL");
        else proc.child.kill("SIGTERM");
        const code = await proc.exited;
        log(`${service} exited (${String(code)}); starting it again`);
        await world.respawn(service);
        log(`${service} ready again`);
        faultEnded();
      });
    },
  };
}

function outageScenario(name: string, description: string, exclusive: boolean, stop: (c: ScenarioContext) => Promise<void>, start: (c: ScenarioContext) => Promise<void>): Scenario {
  return {
    name,
    description,
    exclusive,
    async run(c) {
      await c.underLoad(async () => {
        await sleep(randomMoment(c.opts));
        const lock = exclusive ? await c.exclusiveLock() : undefined;
        try {
          c.log(`${name}: stopping`);
          await stop(c);
          c.log(`${name}: down for ${c.opts.outageSeconds} s`);
          await sleep(c.opts.outageSeconds * 1000);
          c.log(`${name}: starting again`);
          await start(c);
          c.log(`${name}: back`);
        } finally {
          await lock?.release();
        }
        c.faultEnded();
      });
    },
  };
}

/** Alerts and events of the sample records the hostile messages are made of (never injected valid). */
async function samplesFor(world: World, ledger: Ledger): Promise<{ samples: Samples; encode: Encode }> {
  const wl = new SyntheticWorkload(`${ledger.syntheticPrefix}sample`, world.agent, world.engine, world.expectation, 1);
  const { raw, decoded } = await wl.next();
  const { built } = await expectedOfDecoded(decoded, world.expectation);
  const encode: Encode = (schema, value) => world.clients.codec.encode(schema, value);
  return { samples: { raw, decoded, alert: built[0]! }, encode };
}

async function sendChunks(world: World, topic: string, messages: Message[], chunk = 500): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    await world.clients.producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
  }
}

const hostileScenario: Scenario = {
  name: "hostile",
  description: "hostile messages on each consumed topic (random bytes, truncated, wrong schema, unknown schema, missing fields, absurd fields) and oversize records, under load",
  async run({ world, ledger, opts, log, underLoad, faultEnded }) {
    const { samples, encode } = await samplesFor(world, ledger);
    const topicName: Record<HostileTopic, string> = { raw: world.topics.raw, decoded: world.topics.decoded, alerts: world.topics.alerts };
    await underLoad(async () => {
      for (const topic of HOSTILE_TOPICS) {
        const batch = hostileBatch(ledger.name, topic, opts.hostile, samples, encode);
        for (const m of batch) ledger.hostileKeys.add(m.key);
        await sendChunks(world, topicName[topic], batch.map((m) => ({ key: m.key, value: m.value })));
        log(`hostile: ${batch.length} messages sent to ${topicName[topic]}`);
        const oversize = new SyntheticWorkload(`${ledger.syntheticPrefix}big-${topic}`, world.agent, world.engine, world.expectation, 5);
        for (let n = 0; n < opts.oversize; n++) {
          const key = hostileKey(ledger.name, topic, "oversize", n);
          let value: Buffer;
          let ids: string[];
          if (topic === "raw") {
            const rec = await oversize.next(Date.now(), padding(OVERSIZE_BYTES[topic]));
            value = encode("DockerEvent", rec.raw);
            ids = rec.alerts.map((a) => a.id);
          } else {
            const rec = await oversize.next();
            const decoded: DecodedEvent = { ...rec.decoded, fullLog: padding(OVERSIZE_BYTES[topic]) };
            const { built } = await expectedOfDecoded(decoded, world.expectation);
            if (topic === "decoded") {
              value = encode("DecodedEvent", decoded);
              ids = built.map((a) => a.id);
            } else {
              const alert: Alert = built[0]!;
              value = encode("Alert", { ...alert, full_log: padding(OVERSIZE_BYTES[topic]) });
              ids = [alert.id];
            }
          }
          try {
            await world.clients.producer.send({ topic: topicName[topic], acks: -1, messages: [{ key, value }] });
            ledger.oversize.set(key, ids);
          } catch (err) {
            ledger.notes.push(`oversize record ${key} (${value.length} bytes) refused by the broker, not counted: ${(err as Error).message}`);
          }
        }
        if (opts.oversize > 0) log(`hostile: ${opts.oversize} oversize records (${OVERSIZE_BYTES[topic]} bytes of padding) sent to ${topicName[topic]}`);
      }
      faultEnded();
    });
  },
};

const poisonScenario: Scenario = {
  name: "poison-json",
  description: 'the poison JSON {"id":"poison"} on the alerts topic, under load',
  async run({ world, ledger, opts, log, underLoad, faultEnded }) {
    await underLoad(async () => {
      await sleep(randomMoment(opts));
      const key = hostileKey(ledger.name, "alerts", "missing-fields", 0);
      ledger.hostileKeys.add(key);
      await world.clients.producer.send({ topic: world.topics.alerts, acks: -1, messages: [{ key, value: Buffer.from('{"id":"poison"}') }] });
      log(`poison-json: {"id":"poison"} sent to ${world.topics.alerts}`);
      faultEnded();
    });
  },
};

const bigLabelScenario: Scenario = {
  name: "big-label",
  description: "a container created with 900 labels of 1,000 characters, then ordinary containers, under load",
  async run({ world, ledger, opts, log, underLoad, faultEnded }) {
    const dir = mkdtempSync(join(tmpdir(), "dockwatch-chaos-labels-"));
    const file = join(dir, "big.env");
    writeFileSync(file, Array.from({ length: 900 }, (_, i) => `chaos.big.${i}=${"x".repeat(1000)}`).join("\n") + "\n");
    try {
      await underLoad(async () => {
        await sleep(randomMoment(opts));
        const name = `${ledger.enginePrefix}big`;
        await docker("create", "--label-file", file, "--label", world.label, "--name", name, busyboxImage(), "true");
        await docker("rm", name);
        log(`big-label: ${name} created (900 labels × 1,000 chars) and removed`);
        faultEnded();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/** A 3-node KRaft cluster of its own (infra/local with KAFKA_NODES=3 and a state dir of its own), beside the shared broker. */
export class KafkaCluster {
  readonly dir = mkdtempSync(join(tmpdir(), "dockwatch-chaos-kafka3-"));
  constructor(readonly firstPort: number, readonly nodes = 3) {}
  get brokers(): string[] {
    return Array.from({ length: this.nodes }, (_, i) => `127.0.0.1:${this.firstPort + i}`);
  }
  private env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKWATCH_INFRA_STATE: this.dir, KAFKA_NODES: String(this.nodes), KAFKA_PORT: String(this.firstPort) };
  }
  private async infra(...args: string[]): Promise<void> {
    const { execFile } = await import("node:child_process");
    await new Promise<void>((resolve, reject) =>
      execFile(join(repoRoot, "infra/local"), args, { env: this.env(), maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => (err ? reject(new Error(`infra/local ${args.join(" ")}: ${stderr.trim().split("\n").slice(-3).join(" / ")}`)) : resolve())),
    );
  }
  start(): Promise<void> {
    return this.infra("start", "kafka");
  }
  /** kill -9 of one node's process group (node ids are 1..N, as the broker ids). */
  kill9(nodeId: number): void {
    const pid = Number(readFileSync(join(this.dir, "run", `kafka-${nodeId}.pid`), "utf8").trim());
    process.kill(-pid, "SIGKILL");
  }
  async dispose(): Promise<void> {
    await this.infra("stop", "kafka").catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function hasMultiBrokerInfra(): boolean {
  return readFileSync(join(repoRoot, "infra/local"), "utf8").includes("KAFKA_NODES");
}

const leaderKillScenario: Scenario = {
  name: "leader-kill",
  description: "the leader of the raw topic's partition 0 killed (-9) in a 3-broker KRaft cluster (replication factor 3, min.insync.replicas 2), restarted after 10 s, under load",
  async skip() {
    if (!hasMultiBrokerInfra()) return "infra/local has no multi-broker support (KAFKA_NODES) on this branch (rel-durability not merged)";
    return undefined;
  },
  async ownWorld(run, log, open) {
    const cluster = new KafkaCluster(await freePortRange(6));
    log(`starting a 3-node Kafka cluster on ${cluster.brokers.join(",")} (state ${cluster.dir})…`);
    await cluster.start();
    try {
      const world = await open(run, { KAFKA_BROKERS: cluster.brokers.join(","), KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" });
      return { world, extra: cluster, dispose: () => cluster.dispose() };
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
  },
  async run({ world, opts, log, underLoad, faultEnded, extra }) {
    const cluster = extra as KafkaCluster;
    const admin = world.clients.kafka.admin();
    await admin.connect();
    try {
      await underLoad(async () => {
        await sleep(randomMoment(opts));
        const meta = await admin.fetchTopicMetadata({ topics: [world.topics.raw] });
        const leader = meta.topics[0]!.partitions.find((p) => p.partitionId === 0)!.leader;
        log(`kill -9 of broker ${leader}, leader of ${world.topics.raw}/0`);
        cluster.kill9(leader);
        await sleep(10_000);
        await cluster.start();
        log(`broker ${leader} back`);
        faultEnded();
      });
    } finally {
      await admin.disconnect();
    }
  },
};

/** The first of `count` consecutive TCP ports free right now. */
async function freePortRange(count: number): Promise<number> {
  const { createServer } = await import("node:net");
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
  for (let base = 29092; base < 40000; base += count) {
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await free(p);
    if (ok) return base;
  }
  throw new Error("no free port range for the Kafka cluster");
}

/** Every scenario of the full run, in order. */
export function allScenarios(): Scenario[] {
  return [
    ...SERVICES.map((s) => killScenario(s, "SIGKILL")),
    ...SERVICES.map((s) => killScenario(s, "SIGTERM")),
    leaderKillScenario,
    outageScenario(
      "elasticsearch-stop",
      "the shared Elasticsearch stopped for the outage (exclusive infra lock), under load",
      true,
      async () => void (await infraLocal("stop", "elasticsearch")),
      async () => void (await infraLocal("start", "elasticsearch")),
    ),
    outageScenario(
      "redis-stop",
      "the stack's private Redis stopped for the outage, under load",
      false,
      async ({ world }) => world.redis.stop(),
      async ({ world }) => world.redis.start(),
    ),
    outageScenario(
      "dockerd-restart",
      "the shared dockerd stopped and started again (exclusive infra lock), under load",
      true,
      async () => void (await infraLocal("stop", "docker")),
      async () => void (await infraLocal("start", "docker")),
    ),
    hostileScenario,
    bigLabelScenario,
    poisonScenario,
  ];
}

/** Engine workload: ordinary containers one after another; failures (engine down) are noted, not fatal. */
async function engineLoop(world: World, ledger: Ledger, runs: number, stop: () => boolean): Promise<void> {
  let failures = 0;
  for (let n = 0; n < runs && !stop(); n++) {
    try {
      await docker("run", "--rm", "--label", world.label, "--name", `${ledger.enginePrefix}${n}`, busyboxImage(), "true");
    } catch {
      failures++;
      await sleep(1000);
    }
  }
  if (failures) ledger.notes.push(`${failures} docker run failed (engine unavailable during the fault)`);
}

/** Synthetic load: `rate` raw records per second in 100 ms slices; only acknowledged ones are expected. */
async function syntheticLoop(world: World, ledger: Ledger, rate: number, stop: () => boolean): Promise<void> {
  const wl = new SyntheticWorkload(ledger.syntheticPrefix, world.agent, world.engine, world.expectation);
  let sendFailures = 0;
  while (!stop()) {
    const started = Date.now();
    const batch = await Promise.all(Array.from({ length: Math.max(1, Math.round(rate / 10)) }, () => wl.next()));
    try {
      await world.clients.producer.send({ topic: world.topics.raw, acks: -1, messages: batch.map((r) => ({ key: r.key, value: world.clients.codec.encode("DockerEvent", r.raw) })) });
      for (const r of batch) ledger.expect(r.alerts);
    } catch {
      sendFailures++;
    }
    await sleep(Math.max(0, 100 - (Date.now() - started)));
  }
  if (sendFailures) ledger.notes.push(`${sendFailures} injection batches not acknowledged by Kafka: not expected, though a send that failed on its ack may still have landed (its alerts then show as not in the expectation)`);
}

class LockUnavailable extends Error {}

/** The result of a scenario that could not run. */
export function errorResult(scenario: string, note: string): ScenarioResult {
  return {
    scenario,
    status: "error",
    expected: 0,
    indexed: 0,
    missing: 0,
    duplicated: 0,
    hostileSent: 0,
    hostileInDlq: 0,
    oversize: { sent: 0, alerted: 0, deadLettered: 0, lost: 0 },
    recoveryMs: null,
    unexpected: {},
    dlqReasons: {},
    notes: [note],
    examples: { missing: [], duplicated: [], notInDlq: [] },
  };
}

/** Runs one scenario on the world and compares Elasticsearch with what it expects. */
export async function runScenario(world: World, scenario: Scenario, opts: ChaosOptions, locks: { shared?: HeldLock }, extra?: unknown): Promise<ScenarioResult> {
  const log = (line: string) => world.log(`[${scenario.name}] ${line}`);
  const ledger = new Ledger(scenario.name, `${world.run}-${scenario.name}-s`, `${world.run}-${scenario.name}-e`);
  const result: ScenarioResult = { ...errorResult(scenario.name, ""), status: "pass", notes: ledger.notes };
  const skip = await scenario.skip?.();
  if (skip) {
    log(`skipped: ${skip}`);
    return { ...result, status: "skipped", notes: [skip] };
  }
  const ctx: ScenarioContext = {
    world,
    extra,
    ledger,
    opts,
    log,
    async underLoad(during) {
      let stop = false;
      const loadStartedAt = Date.now();
      const loops = Promise.all([syntheticLoop(world, ledger, opts.rate, () => stop), engineLoop(world, ledger, opts.engineRuns, () => stop)]);
      try {
        await during(loadStartedAt);
        // Load after the fault too, up to the load window's end (at least a few seconds).
        await sleep(Math.max(3000, opts.loadSeconds * 1000 - (Date.now() - loadStartedAt)));
      } finally {
        stop = true;
        await loops;
      }
    },
    faultEnded() {
      ledger.faultEndedAt = Date.now();
    },
    async exclusiveLock() {
      // Give up the shared hold first: flock does not upgrade, and another process's shared hold would wait for ours.
      await locks.shared?.release();
      locks.shared = undefined;
      log("waiting for the infrastructure lock (exclusive)…");
      const held = await acquireLock("exclusive", undefined, opts.lockWaitSeconds).catch(async (err: unknown) => {
        locks.shared = await acquireLock("shared");
        throw new LockUnavailable((err as Error).message);
      });
      return {
        mode: "exclusive",
        async release() {
          await held.release();
          locks.shared = await acquireLock("shared");
        },
      };
    },
  };
  log(`${scenario.description}`);
  try {
    await scenario.run(ctx);
  } catch (err) {
    if (err instanceof LockUnavailable) {
      log(`skipped: ${err.message}`);
      return { ...result, status: "skipped", notes: [`not run: ${err.message} (other tests held the shared infrastructure)`] };
    }
    result.status = "error";
    ledger.notes.push(`scenario failed to run: ${(err as Error).message}`);
    log(`error: ${(err as Error).stack ?? String(err)}`);
  }
  ledger.faultEndedAt ??= Date.now();
  // Containers of this scenario, as the engine reported them: their events' alerts are expected too.
  await sleep(1000);
  const containerIds = new Set<string>();
  for (const line of world.engineEvents.linesFor(ledger.enginePrefix)) {
    const raw = rawRecord(line, world.collectorAgent, world.engine);
    containerIds.add(raw.event!.Actor.ID);
    ledger.expect((await expectedAlerts(raw, world.expectation)).alerts);
  }
  log(`load done: ${ledger.expected.size} alerts expected (${containerIds.size} real containers), ${ledger.hostileKeys.size} hostile, ${ledger.oversize.size} oversize; waiting for the pipeline (up to ${opts.settleSeconds} s)…`);

  const oversizeIds = new Set([...ledger.oversize.values()].flat());
  const state = async () => {
    const docs = await world.alertsOf([ledger.syntheticPrefix], [...containerIds]);
    const cmp = compare(ledger.expected.values(), docs.filter((d) => !oversizeIds.has(d._id)));
    const indexedIds = new Set(docs.map((d) => d._id));
    const notInDlq = [...ledger.hostileKeys].filter((k) => !world.deadLetters.has(k));
    let alerted = 0;
    let deadLettered = 0;
    for (const [key, ids] of ledger.oversize) {
      if (ids.length > 0 && ids.every((id) => indexedIds.has(id))) alerted++;
      else if (world.deadLetters.has(key)) deadLettered++;
    }
    return { cmp, notInDlq, alerted, deadLettered, complete: cmp.missing.length === 0 && notInDlq.length === 0 && alerted + deadLettered === ledger.oversize.size };
  };
  const deadline = Date.now() + opts.settleSeconds * 1000;
  let last: Awaited<ReturnType<typeof state>> | undefined;
  let lastLog = 0;
  for (;;) {
    try {
      last = await state();
    } catch (err) {
      log(`reading Elasticsearch failed: ${(err as Error).message}`);
    }
    if (last?.complete) {
      result.recoveryMs = Date.now() - ledger.faultEndedAt;
      break;
    }
    if (Date.now() > deadline) break;
    if (last && Date.now() - lastLog > 10_000) {
      lastLog = Date.now();
      log(`… ${last.cmp.indexed}/${last.cmp.expected} indexed, ${last.notInDlq.length} hostile not in the DLQ yet`);
    }
    await sleep(1000);
  }
  if (result.recoveryMs !== null) {
    // A late redelivery could still add a copy under another id: look once more.
    await sleep(3000);
    last = await state();
  }
  const cmp: Comparison = last?.cmp ?? compare(ledger.expected.values(), []);
  result.expected = cmp.expected;
  result.indexed = cmp.indexed;
  result.missing = cmp.missing.length;
  result.duplicated = cmp.duplicated.length;
  result.unexpected = cmp.unexpected;
  result.hostileSent = ledger.hostileKeys.size;
  result.hostileInDlq = ledger.hostileKeys.size - (last?.notInDlq.length ?? ledger.hostileKeys.size);
  result.oversize = { sent: ledger.oversize.size, alerted: last?.alerted ?? 0, deadLettered: last?.deadLettered ?? 0, lost: ledger.oversize.size - (last?.alerted ?? 0) - (last?.deadLettered ?? 0) };
  for (const key of [...ledger.hostileKeys, ...ledger.oversize.keys()]) {
    const dl = world.deadLetters.get(key);
    if (dl) result.dlqReasons[`${dl.stage}: ${dl.reason}`] = (result.dlqReasons[`${dl.stage}: ${dl.reason}`] ?? 0) + 1;
  }
  result.examples = { missing: cmp.missing.slice(0, 5).map((id) => `${id} (${ledger.expected.get(id)?.source ?? "?"})`), duplicated: cmp.duplicated.slice(0, 5).map((d) => `${d.key}: ${d.ids.join(", ")}`), notInDlq: (last?.notInDlq ?? []).slice(0, 5) };
  if (result.status !== "error" && (result.missing > 0 || result.duplicated > 0 || result.hostileInDlq < result.hostileSent || result.oversize.lost > 0)) result.status = "fail";
  const dead = SERVICES.filter((s) => world.service(s).child.exitCode !== null || world.service(s).child.signalCode !== null);
  for (const s of dead) {
    ledger.notes.push(`${s} was not running at the end (exit ${String(world.service(s).child.exitCode ?? world.service(s).child.signalCode)}); restarted for the next scenario`);
    await world.respawn(s).catch((err: unknown) => ledger.notes.push(`${s} did not start again: ${(err as Error).message}`));
  }
  log(
    `${result.status}: expected ${result.expected}, indexed ${result.indexed}, missing ${result.missing}, duplicated ${result.duplicated}, hostile ${result.hostileInDlq}/${result.hostileSent} in DLQ` +
      (result.oversize.sent ? `, oversize ${result.oversize.alerted} alerted + ${result.oversize.deadLettered} dead-lettered of ${result.oversize.sent}` : "") +
      `, recovery ${result.recoveryMs === null ? "never" : `${(result.recoveryMs / 1000).toFixed(1)} s`}`,
  );
  return result;
}

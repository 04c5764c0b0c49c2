// One bench run: the same fleet data through the limits (kafkajs
// passthrough, Kafka's perf tools, a plain _bulk of the same alert
// documents), each stage alone on a pre-filled topic (a copy of it held
// back until the stage's instances joined: gate.ts), the whole pipeline,
// latency at a steady rate, the same stages and pipeline with N instances
// each, the real collector on the real engine (collector.ts) and Ctrl-C on
// `dockwatch up` (ctrl-c.ts); with --cpu-prof, a V8 CPU profile of every
// service process of a phase. Used by main.ts (npm run bench) and by the smoke test.
import { alertDocument, type Alert } from "@dockwatch/contracts";
import { decodeEvent, encodeRecord } from "@dockwatch/docker-event";
import { identitySettings } from "@dockwatch/config";
import { alertingSettings, loadRuleset, version, type AlertContext } from "@dockwatch/rule-engine";
import { unique } from "@dockwatch/test-helpers";
import { expectedAlerts, expectedOfDecoded, type Expectation } from "../chaos/workload.js";
import { collectorPhase, type CollectorResult } from "./collector.js";
import { shutdownPhase, type ShutdownResult } from "./ctrl-c.js";
import { FixtureFleet } from "./fixtures.js";
import { holdInput, type HeldInput } from "./gate.js";
import { Fleet, mix, type FleetRecord } from "./fleet.js";
import { repoRoot } from "../../src/paths.js";
import { ackedRate, indexedIds, latencyWindows, percentiles, rateOf, readTopic, sharedCpu, sharedUsage, topicEnd, type LatencySample, type Percentiles } from "./measure.js";
import { benchProducer, kafkaTool, openWorld, type BenchWorld, type Log, type ProfileEntry, type Usage } from "./world.js";

export const PHASES = ["limits", "stages", "pipeline", "latency", "scale", "collector", "shutdown"] as const;
export const INPUTS = ["fleet", "fixtures"] as const;
export type PhaseName = (typeof PHASES)[number];

export interface BenchOptions {
  /** Events pre-filled to the raw topic (every throughput phase reads these). */
  events: number;
  hosts: number;
  seed: number;
  /** Events/s while pre-filling (0: as fast as possible). */
  rate: number;
  latencyRate: number;
  latencySeconds: number;
  /** Seconds injected at the latency rate before the measured ones (a fresh pipeline's JIT warm-up), not in the percentiles. */
  latencyWarmupSeconds?: number;
  /** Instances of each service in the scale phase. */
  instances: number;
  phases: PhaseName[];
  /** Leave topics, indices and templates (to look at them). */
  keep: boolean;
  /** What fills the raw topic: the fleet simulator (default) or the engine fixtures cycled (fixtures.ts). */
  input?: (typeof INPUTS)[number];
  /** --cpu-prof: the report directory, where each phase's profiles go (prof/<phase>/<process>.cpuprofile). */
  profileDir?: string;
  /** Another checkout whose built services run (before/after comparisons, back to back). */
  servicesRoot?: string;
  /** How long the collector phase makes engine activity (default 30 s). */
  collectorSeconds?: number;
  /** Raw records produced to `dockwatch up` before the Ctrl-C in full flow (default min(events, 20,000)). */
  shutdownRecords?: number;
}

export interface Throughput {
  name: string;
  instances: number;
  /** Records read (events, or alerts for the sink). */
  input: number;
  /** Records written (records, alerts, documents). */
  output: number;
  /** Input records per second from the first to the last output record. */
  perSecond?: number;
  /** Output records per second over the same span. */
  outputPerSecond?: number;
  unit: string;
  spanMs: number;
  /** What it is compared with, and the ratio. */
  limit?: string;
  ratio?: number;
  usage: Usage[];
  /** Correctness of the phase's output, e.g. "every alert indexed once". */
  check?: { ok: boolean; detail: string };
  detail?: string;
}

export type { Percentiles } from "./measure.js";

export interface LatencyResult {
  rate: number;
  seconds: number;
  injected: number;
  achievedRate: number;
  alerts: number;
  toProduced: Percentiles;
  toIndexed: Percentiles;
  /** Injected before the measured seconds, not in toProduced/toIndexed. */
  warmupSeconds: number;
  /** Event → indexed by 5-second windows of event time, warm-up included. */
  windows: Array<{ fromSeconds: number; latency: Percentiles }>;
  usage: Usage[];
}

export interface BenchResult {
  run: string;
  startedAt: string;
  finishedAt: string;
  options: BenchOptions;
  fleet: { records: number; bytes: number; avgRecordBytes: number; mix: Record<string, number>; expectedAlerts: number; correlatedEvents: number };
  limits: Throughput[];
  stages: Throughput[];
  latency?: LatencyResult;
  collector?: CollectorResult;
  shutdown?: ShutdownResult;
  /** --cpu-prof: each profiled process of each phase, summarized. */
  profiles: ProfileEntry[];
  /** What went wrong in a phase (the run goes on with the next). */
  problems: string[];
  /** Own alerts expected per event (no correlation) and the ids indexed by the single-instance pipeline, for the smoke test. */
  evidence: { expected: Map<string, string[]>; pipelineIds?: Set<string>; pipelineRuleOf?: Map<string, string> };
  /** Every output line of the services, `<service>#<n> | <line>`. */
  output: string[];
}

const fmt = (n: number) => n.toLocaleString("en");
const CORRELATION_GROUP = "correlation";

/**
 * `onCleanup` receives what stops the run's processes and deletes its topics
 * and indices, for an interrupted run (main.ts calls it on SIGINT/SIGTERM).
 */
export async function runBench(opts: BenchOptions, log: Log, run = unique("bench"), onCleanup: (cleanup: () => Promise<void>) => void = () => undefined): Promise<BenchResult> {
  const startedAt = new Date();
  const phases = new Set(opts.phases);
  // The scale phase sits beside the single-instance figures: it needs them.
  if (phases.has("scale")) phases.add("stages").add("pipeline");
  const world = await openWorld(run, log, { profileDir: opts.profileDir, servicesRoot: opts.servicesRoot });
  onCleanup(() => world.close(opts.keep));
  const result: BenchResult = {
    run,
    startedAt: startedAt.toISOString(),
    finishedAt: "",
    options: opts,
    fleet: { records: 0, bytes: 0, avgRecordBytes: 0, mix: {}, expectedAlerts: 0, correlatedEvents: 0 },
    limits: [],
    stages: [],
    problems: [],
    profiles: world.profiles,
    evidence: { expected: new Map() },
    output: world.output,
  };
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      if (world.closing) throw err;
      const message = `${what}: ${(err as Error).message}`;
      log(`FAILED ${message}`);
      result.problems.push(message.split("\n")[0]!);
    }
  };
  const timeoutMs = Math.max(300_000, opts.events * 10);
  try {
    const exp = expectation(world);
    // Only the phases on the pre-filled data need it.
    const raw = phases.has("limits") || phases.has("stages") || phases.has("pipeline") ? await prefill(world, opts, exp, result, log) : "";
    if (phases.has("limits")) await attempt("passthrough", async () => void result.limits.push(await passthroughLimit(world, raw, timeoutMs)));
    if (phases.has("limits")) await attempt("kafka perf tools", async () => void result.limits.push(...(await kafkaPerf(world, opts.events, result.fleet.avgRecordBytes))));

    const stage = (t: Throughput) => {
      result.stages.push(t);
      log(`${t.name} ×${t.instances}: ${t.perSecond ? fmt(Math.round(t.perSecond)) : "?"} ${t.unit}${t.check && !t.check.ok ? ` (CHECK FAILED: ${t.check.detail})` : ""}`);
    };
    const counts = phases.has("scale") ? [1, opts.instances] : [1];
    let decoded: string | undefined;
    let alerts: string | undefined;
    let alertValues: Alert[] = [];
    // The alerts of the rules stage when it ran, else the same events' own alerts built here, once.
    let own: Promise<Alert[]> | undefined;
    const sameAlerts = async () => (alertValues.length ? alertValues : (own ??= ownAlerts(world, opts, exp)));
    let warmed = false;
    /** Elasticsearch warmed up once, before the first phase that writes to it (warmUpElasticsearch). */
    const warm = async () => {
      if (warmed) return;
      warmed = true;
      await attempt("Elasticsearch warm-up", async () => {
        const docs = await sameAlerts();
        await warmUpElasticsearch(world, docs);
        log(`Elasticsearch warmed up with ${fmt(docs.length)} documents (not measured)`);
      });
    };
    if (phases.has("stages")) {
      for (const n of counts) {
        await attempt(`decoder ×${n}`, async () => {
          const { t, out } = await decoderAlone(world, raw, n, opts.events, timeoutMs);
          stage(t);
          decoded ??= out;
        });
      }
      for (const n of counts) {
        if (!decoded) break;
        await attempt(`rules ×${n}`, async () => {
          const { t, out, values } = await rulesAlone(world, decoded!, n, opts.events, result.evidence.expected, timeoutMs);
          stage(t);
          if (!alerts) {
            alerts = out;
            alertValues = values;
          }
        });
      }
      if (alerts) await warm();
      for (const n of counts) {
        if (!alerts) break;
        await attempt(`sink ×${n}`, async () => stage(await sinkAlone(world, alerts!, alertValues, n, timeoutMs)));
      }
    }
    if (phases.has("limits") || phases.has("pipeline") || phases.has("latency")) await warm();
    if (phases.has("limits")) {
      await attempt("plain _bulk", async () => void result.limits.push(await plainBulk(world, await sameAlerts())));
    }
    if (phases.has("pipeline")) {
      for (const n of counts) await attempt(`pipeline ×${n}`, async () => stage(await pipeline(world, raw, n, opts.events, result, timeoutMs)));
    }
    if (phases.has("latency")) await attempt("latency", async () => void (result.latency = await latency(world, opts, log)));
    if (phases.has("collector")) {
      await attempt("collector", async () => {
        const c = (result.collector = await collectorPhase(world, { seconds: opts.collectorSeconds ?? 30 }));
        log(`collector: ${fmt(c.published)} records of ${fmt(c.engineEvents)} engine events, ${c.perSecond ? fmt(Math.round(c.perSecond)) : "?"} records/s, peak RSS ${c.usage[0]?.peakRssMB.toFixed(0)} MB${c.check.ok ? "" : ` (CHECK FAILED: ${c.check.detail})`}`);
      });
    }
    if (phases.has("shutdown")) {
      await attempt("shutdown", async () => {
        const s = (result.shutdown = await shutdownPhase(world, opts.shutdownRecords ?? Math.min(opts.events, 20_000)));
        log(`shutdown: ${s.rounds.map((r) => `${r.what} ${fmt(r.ms)} ms${r.check.ok ? "" : ` (CHECK FAILED: ${r.check.detail})`}`).join(", ")}`);
      });
    }
    ratios(result);
  } finally {
    result.finishedAt = new Date().toISOString();
    await world.close(opts.keep).catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
  }
  return result;
}

/** The ratios of the issue: decoder and rules against the passthrough, sink and pipeline against the plain _bulk. */
function ratios(r: BenchResult): void {
  const pass = r.limits.find((l) => l.name === "kafkajs passthrough")?.perSecond;
  const bulk = r.limits.find((l) => l.name === "plain _bulk")?.perSecond;
  for (const s of r.stages) {
    const kafkaStage = s.name === "decoder" || s.name === "rules";
    const limit = kafkaStage ? pass : bulk;
    s.limit = kafkaStage ? "kafkajs passthrough" : "plain _bulk";
    // Sink and pipeline: documents indexed per second against documents per second.
    const mine = kafkaStage ? s.perSecond : s.outputPerSecond;
    if (limit && mine) s.ratio = mine / limit;
  }
}

function expectation(world: BenchWorld): Expectation {
  const fullEnv = { ...process.env, ...world.env } as Record<string, string>;
  const alerting = alertingSettings(fullEnv);
  const identity = identitySettings(fullEnv);
  const ruleset = loadRuleset(alerting.sources);
  const ctx = (): AlertContext => ({ manager: identity.manager, cluster: identity.cluster, location: identity.location, version, ruleset: ruleset.hash, now: new Date(), utcOffsetMinutes: 0 });
  return { ruleset, minLevel: alerting.minLevel, ctx };
}

/** The records of the run: the fleet simulator's, or the engine fixtures' (--input fixtures). */
function source(opts: BenchOptions, prefix: string, seed = opts.seed): { next(timeNano: bigint): FleetRecord } {
  return opts.input === "fixtures" ? new FixtureFleet({ hosts: opts.hosts, seed, prefix }) : new Fleet({ hosts: opts.hosts, seed, prefix });
}

const nowNano = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;

/** The fleet's events, encoded as the collector encodes them, sent to the run's raw topic; each event's own alerts computed here. */
async function prefill(world: BenchWorld, opts: BenchOptions, exp: Expectation, result: BenchResult, log: Log): Promise<string> {
  const raw = await world.topic("raw");
  const fleet = source(opts, world.run);
  const producer = await benchProducer(world);
  const records = [];
  const started = Date.now();
  let bytes = 0;
  let sent = 0;
  let lastLog = Date.now();
  try {
    while (sent < opts.events) {
      const chunk = [];
      const n = Math.min(1000, opts.events - sent);
      for (let i = 0; i < n; i++) {
        const r = fleet.next(nowNano());
        const value = encodeRecord(r.record, (v) => world.clients.codec.encode("DockerEvent", v));
        bytes += value.length;
        chunk.push({ key: r.key, value });
        records.push(r.record);
        const own = await expectedAlerts(r.record, exp);
        if (own.correlated) result.fleet.correlatedEvents++;
        result.evidence.expected.set(`${r.record.agent.id}|${r.record.event?.timeNano ?? r.record.receivedAtNano}`, own.alerts.map((a) => a.id));
        result.fleet.expectedAlerts += own.alerts.length;
      }
      await producer.send({ topic: raw, acks: -1, messages: chunk });
      sent += n;
      if (opts.rate > 0) {
        const due = started + (sent / opts.rate) * 1000;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      if (Date.now() - lastLog > 5000) {
        log(`pre-filling: ${fmt(sent)} / ${fmt(opts.events)} events`);
        lastLog = Date.now();
      }
    }
  } finally {
    await producer.disconnect();
  }
  result.fleet = { ...result.fleet, records: sent, bytes, avgRecordBytes: Math.round(bytes / Math.max(1, sent)), mix: mix(records) };
  log(`pre-filled ${fmt(sent)} events (${(bytes / 1048576).toFixed(1)} MB, ${fmt(result.fleet.expectedAlerts)} own alerts expected) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return raw;
}

/** The limit of a Kafka stage: consume, produce the same bytes (acks=-1, idempotent, as the stages), commit after the ack. */
/** A limit runs in the bench process: its CPU over `fn`, and the shared processes' (Kafka, Elasticsearch, Redis). */
async function withUsage<T>(fn: () => Promise<T>): Promise<{ value: T; usage: Usage[] }> {
  const shared = sharedCpu(repoRoot);
  const own = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(own);
  const cpu = (used.user + used.system) / 1e6;
  return { value, usage: [{ service: "bench#0", peakRssMB: 0, cpuSeconds: cpu, workCpuSeconds: cpu }, ...sharedUsage(shared, sharedCpu(repoRoot))] };
}

async function passthroughLimit(world: BenchWorld, raw: string, timeoutMs: number): Promise<Throughput> {
  const out = await world.topic("passthrough");
  const group = `${world.run}-passthrough`;
  const producer = await benchProducer(world);
  const consumer = world.clients.kafka.consumer({ groupId: group });
  await consumer.connect();
  let usage: Usage[] = [];
  try {
    await consumer.subscribe({ topic: raw, fromBeginning: true });
    const measured = withUsage(async () => {
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          if (batch.messages.length === 0) return;
          await producer.send({ topic: out, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) });
          const last = batch.messages[batch.messages.length - 1]!.offset;
          resolveOffset(last);
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          await heartbeat();
        },
      });
      await world.drained(group, raw, [], "kafkajs passthrough", timeoutMs);
    });
    ({ usage } = await measured);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  const recs = await readTopic(world.clients.kafka, out, `${group}-read`, false);
  const { perSecond, spanMs } = rateOf(recs.length, recs.map((r) => r.timestampMs));
  return { name: "kafkajs passthrough", instances: 1, input: recs.length, output: recs.length, perSecond, outputPerSecond: perSecond, unit: "records/s", spanMs, usage, detail: "in the bench process" };
}

/** Kafka's own ProducerPerformance and ConsumerPerformance (the project's Kafka jars) with records of the fleet's average size. */
async function kafkaPerf(world: BenchWorld, records: number, recordBytes: number): Promise<Throughput[]> {
  const topic = await world.topic("perf");
  const bootstrap = world.env.KAFKA_BROKERS!;
  const p = await kafkaTool("org.apache.kafka.tools.ProducerPerformance", ["--topic", topic, "--num-records", String(records), "--record-size", String(Math.max(1, recordBytes)), "--throughput", "-1", "--command-property", `bootstrap.servers=${bootstrap}`, "acks=all", "enable.idempotence=true"]);
  const pm = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency/.exec(p);
  const c = await kafkaTool("org.apache.kafka.tools.ConsumerPerformance", ["--bootstrap-server", bootstrap, "--topic", topic, "--num-records", String(records), "--group", `${world.run}-perf`]);
  // The header line, then one line of values: fetch.nMsg.sec leaves out the group join.
  const lines = c.trim().split("\n");
  const header = lines.findIndex((l) => l.startsWith("start.time"));
  const names = lines[header]?.split(",").map((s) => s.trim()) ?? [];
  const values = lines[header + 1]?.split(",").map((s) => s.trim()) ?? [];
  const col = (n: string) => Number(values[names.indexOf(n)]);
  return [
    { name: "Kafka ProducerPerformance", instances: 1, input: records, output: Number(pm?.[1] ?? 0), perSecond: pm ? Number(pm[2]) : undefined, unit: "records/s", spanMs: 0, usage: [], detail: pm ? `${pm[3]} MB/s, ${pm[4]} ms avg latency, ${recordBytes} B records, acks=all, idempotent` : `unparsed: ${p.slice(-200)}` },
    { name: "Kafka ConsumerPerformance", instances: 1, input: records, output: col("data.consumed.in.nMsg"), perSecond: col("fetch.nMsg.sec") || undefined, unit: "records/s", spanMs: col("fetch.time.ms"), usage: [], detail: `${col("fetch.MB.sec")} MB/s while fetching (group join left out)` },
  ];
}

/**
 * Runs a phase of `n` instances on a copy of `source` held back until all of
 * them have joined (gate.ts): a ×N row measures N instances, and a process's
 * "ready" figures are from before it saw any record.
 */
async function heldPhase<T>(world: BenchWorld, source: string, tag: string, phase: (input: HeldInput) => Promise<T>): Promise<T> {
  const held = await holdInput(world.clients.kafka, world.admin, source, await world.topic(`${tag}.held`), `${world.run}-${tag}-held`);
  try {
    return await phase(held);
  } finally {
    await held.abort();
  }
}

/**
 * `n` instances of one service, all in `group`, on a held copy of `source`
 * (heldPhase): started, released once all joined, drained, stopped. `env`
 * gets the copy's topic.
 */
async function serviceAlone(
  world: BenchWorld,
  service: "decoder" | "rules" | "sink",
  source: string,
  n: number,
  group: string,
  env: (inputTopic: string) => Record<string, string>,
  timeoutMs: number,
): Promise<Usage[]> {
  const what = `${service} ×${n}`;
  return heldPhase(world, source, `${service}${n}`, async (input) => {
    const inst = await world.start(Array.from({ length: n }, (_, i) => ({ name: service, label: `${service}#${i}`, env: env(input.topic) })), what);
    await input.release([{ groupId: group, members: n }], timeoutMs);
    await world.drained(group, input.topic, inst, what, timeoutMs, input.records);
    return world.stop(inst);
  });
}

async function decoderAlone(world: BenchWorld, raw: string, n: number, events: number, timeoutMs: number) {
  const tag = `decoder${n}`;
  const out = await world.topic(`${tag}.decoded`);
  const group = `${world.run}-${tag}`;
  const usage = await serviceAlone(world, "decoder", raw, n, group, (topic) => ({ TOPIC_RAW: topic, TOPIC_DECODED: out, DECODER_CONSUMER_GROUP: group }), timeoutMs);
  const recs = await readTopic(world.clients.kafka, out, `${group}-read`, false);
  const dlq = await topicEnd(world.admin, world.env.TOPIC_DLQ!);
  const { perSecond, spanMs } = rateOf(recs.length, recs.map((r) => r.timestampMs));
  const t: Throughput = {
    name: "decoder",
    instances: n,
    input: events,
    output: recs.length,
    perSecond,
    outputPerSecond: perSecond,
    unit: "events/s",
    spanMs,
    usage,
    check: { ok: recs.length === events, detail: `${fmt(recs.length)} decoded of ${fmt(events)} events (DLQ of the run: ${dlq})` },
  };
  return { t, out };
}

/** The alerts of a topic, decoded. */
async function alertsOf(world: BenchWorld, topic: string, group: string): Promise<{ values: Alert[]; times: number[] }> {
  const recs = await readTopic(world.clients.kafka, topic, group, true);
  const values: Alert[] = [];
  for (const r of recs) values.push(await world.clients.codec.decode<Alert>("Alert", r.value!));
  return { values, times: recs.map((r) => r.timestampMs) };
}

/** Every event's own alerts present once, and nothing else but correlation alerts. */
function checkAlerts(ids: Iterable<string>, ruleOf: (id: string) => string[] | undefined, expected: Map<string, string[]>): { ok: boolean; detail: string } {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  let missing = 0;
  let want = 0;
  const own = new Set<string>();
  for (const list of expected.values()) {
    for (const id of list) {
      want++;
      own.add(id);
      if (!seen.has(id)) missing++;
    }
  }
  let duplicated = 0;
  let other = 0;
  let correlation = 0;
  for (const [id, count] of seen) {
    if (count > 1) duplicated++;
    if (own.has(id)) continue;
    if (ruleOf(id)?.includes(CORRELATION_GROUP)) correlation++;
    else other++;
  }
  const ok = missing === 0 && duplicated === 0 && other === 0;
  return { ok, detail: `${fmt(want - missing)} of ${fmt(want)} own alerts, ${correlation} correlation alerts, ${missing} missing, ${duplicated} duplicated, ${other} unexpected` };
}

async function rulesAlone(world: BenchWorld, decoded: string, n: number, events: number, expected: Map<string, string[]>, timeoutMs: number) {
  const tag = `rules${n}`;
  const out = await world.topic(`${tag}.alerts`);
  const group = `${world.run}-${tag}`;
  const usage = await serviceAlone(world, "rules", decoded, n, group, (topic) => ({ TOPIC_DECODED: topic, TOPIC_ALERTS: out, RULES_CONSUMER_GROUP: group, REDIS_KEY_PREFIX: `${world.run}:${tag}:` }), timeoutMs);
  const { values, times } = await alertsOf(world, out, `${group}-read`);
  const byId = new Map(values.map((a) => [a.id, a.rule.groups]));
  const { perSecond, spanMs } = rateOf(events, times);
  const t: Throughput = {
    name: "rules",
    instances: n,
    input: events,
    output: values.length,
    perSecond,
    outputPerSecond: rateOf(values.length, times).perSecond,
    unit: "events/s",
    spanMs,
    usage,
    check: checkAlerts(values.map((a) => a.id), (id) => byId.get(id), expected),
  };
  return { t, out, values };
}

async function sinkAlone(world: BenchWorld, alerts: string, values: Alert[], n: number, timeoutMs: number): Promise<Throughput> {
  const tag = `sink${n}`;
  const prefix = `${world.run}-${tag}`;
  world.track(prefix);
  const group = `${world.run}-${tag}`;
  const usage = await serviceAlone(world, "sink", alerts, n, group, (topic) => ({ TOPIC_ALERTS: topic, SINK_CONSUMER_GROUP: group, SINK_INDEX_PREFIX: prefix }), timeoutMs);
  return esThroughput(world, "sink", n, prefix, values.length, usage, values.map((a) => a.id));
}

/** Documents in the prefix's indices, against the alerts they come from; the rate from the proxy's acknowledgements. */
async function esThroughput(world: BenchWorld, name: string, n: number, prefix: string, input: number, usage: Usage[], expectIds: string[], unit = "alerts/s"): Promise<Throughput> {
  const ids = await indexedIds(world.es, `${prefix}-*`);
  const docs = ids.map((id) => ({ id }));
  const times = world.proxy.acked(`${prefix}-`).map((a) => a.atMs);
  const { perSecond: docsPerSecond, spanMs } = ackedRate(times);
  // Input records per second over the same span: the documents' rate scaled by input per document.
  const perSecond = docsPerSecond === undefined || ids.length === 0 ? undefined : (docsPerSecond * input) / ids.length;
  const have = new Set(ids);
  const missing = expectIds.filter((id) => !have.has(id)).length;
  return {
    name,
    instances: n,
    input,
    output: docs.length,
    perSecond,
    outputPerSecond: docsPerSecond,
    unit,
    spanMs,
    usage,
    check: { ok: missing === 0 && docs.length === new Set(expectIds).size && times.length === docs.length, detail: `${fmt(docs.length)} documents for ${fmt(new Set(expectIds).size)} alerts, ${missing} missing${times.length !== docs.length ? `, ${times.length} acknowledged by Elasticsearch` : ""}` },
  };
}

/** The fleet's own alerts built in process (when the rules stage did not run): the documents of the plain _bulk. */
async function ownAlerts(world: BenchWorld, opts: BenchOptions, exp: Expectation): Promise<Alert[]> {
  const fleet = source(opts, world.run);
  const out: Alert[] = [];
  for (let i = 0; i < opts.events; i++) out.push(...(await expectedOfDecoded(decodeEvent(fleet.next(nowNano()).record), exp)).built);
  return out;
}

/** The alerts as `_bulk` bodies of 1,000 `index` operations each, into `index`. */
function bulkBodies(alerts: Alert[], index: string): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < alerts.length; i += 1000) {
    bodies.push(alerts.slice(i, i + 1000).map((a) => `${JSON.stringify({ index: { _index: index, _id: a.id } })}\n${JSON.stringify(alertDocument(a))}\n`).join(""));
  }
  return bodies;
}

/** Sends the bodies one request at a time; the wall clock and the items Elasticsearch refused. */
async function sendBulks(client: BenchWorld["es"], bodies: string[]): Promise<{ wallMs: number; errors: number }> {
  const started = performance.now();
  let errors = 0;
  for (const body of bodies) {
    const res = (await client.transport.request({ method: "POST", path: "/_bulk", bulkBody: body })) as { errors: boolean; items: Array<{ index?: { error?: unknown } }> };
    if (res.errors) errors += res.items.filter((it) => it.index?.error).length;
  }
  return { wallMs: performance.now() - started, errors };
}

const dailyIndex = (prefix: string) => `${prefix}-${new Date().toISOString().slice(0, 10).replaceAll("-", ".")}`;

/**
 * The same documents indexed once, unmeasured, before the first phase that
 * writes to Elasticsearch: a JVM that has not indexed yet compiles its
 * indexing code on the first thousands of documents, and that cost (3× the
 * CPU per document of a warm run, measured) would land on whichever phase
 * came first.
 */
async function warmUpElasticsearch(world: BenchWorld, alerts: Alert[]): Promise<void> {
  const prefix = `${world.run}-warmup`;
  await world.prepareIndices(prefix);
  await sendBulks(world.es, bulkBodies(alerts, dailyIndex(prefix)));
}

/** The limit of the sink: the same alert documents, 1,000 per `_bulk`, one client, one request at a time, into a bench index with the sink's template. */
async function plainBulk(world: BenchWorld, alerts: Alert[]): Promise<Throughput> {
  const prefix = `${world.run}-bulk`;
  await world.prepareIndices(prefix);
  const index = dailyIndex(prefix);
  // Serialized before timing: the limit is Elasticsearch's, not JSON.stringify's.
  const bodies = bulkBodies(alerts, index);
  const { value: { wallMs, errors }, usage } = await withUsage(() => sendBulks(world.esProxied, bodies));
  // The same requests straight to Elasticsearch, into an index of their own: what the proxy's hop costs.
  const directPrefix = `${world.run}-bulkdirect`;
  await world.prepareIndices(directPrefix);
  const direct = await sendBulks(world.es, bulkBodies(alerts, dailyIndex(directPrefix)));
  const t = await esThroughput(world, "plain _bulk", 1, prefix, alerts.length, usage, alerts.map((a) => a.id), "docs/s");
  const wall = (alerts.length * 1000) / wallMs;
  // One request only (a tiny run): no span between answers, the wall clock is the rate.
  if (t.perSecond === undefined) t.perSecond = t.outputPerSecond = wall;
  t.detail = `${bodies.length} requests; wall clock ${fmt(Math.round(wall))} docs/s through the proxy, ${fmt(Math.round((alerts.length * 1000) / direct.wallMs))} docs/s straight to Elasticsearch (the proxy's cost); ${errors + direct.errors} item errors`;
  return t;
}

async function pipeline(world: BenchWorld, raw: string, n: number, events: number, result: BenchResult, timeoutMs: number): Promise<Throughput> {
  const tag = `pipeline${n}`;
  const prefix = `${world.run}-${tag}`;
  world.track(prefix);
  const decoded = await world.topic(`${tag}.decoded`);
  const alerts = await world.topic(`${tag}.alerts`);
  const groups = { decoder: `${world.run}-${tag}-decoder`, rules: `${world.run}-${tag}-rules`, sink: `${world.run}-${tag}-sink` };
  const usage = await heldPhase(world, raw, tag, async (input) => {
    const env = { TOPIC_RAW: input.topic, TOPIC_DECODED: decoded, TOPIC_ALERTS: alerts, DECODER_CONSUMER_GROUP: groups.decoder, RULES_CONSUMER_GROUP: groups.rules, SINK_CONSUMER_GROUP: groups.sink, SINK_INDEX_PREFIX: prefix, REDIS_KEY_PREFIX: `${world.run}:${tag}:` };
    const specs = (["sink", "rules", "decoder"] as const).flatMap((name) => Array.from({ length: n }, (_, i) => ({ name, label: `${name}#${i}`, env })));
    const inst = await world.start(specs, `pipeline ×${n}`);
    await input.release(Object.values(groups).map((groupId) => ({ groupId, members: n })), timeoutMs);
    // Upstream first: once the decoder committed everything, all it produced is in `decoded`, and so on.
    await world.drained(groups.decoder, input.topic, inst, `pipeline ×${n} (decoder)`, timeoutMs, input.records);
    await world.drained(groups.rules, decoded, inst, `pipeline ×${n} (rules)`, timeoutMs);
    await world.drained(groups.sink, alerts, inst, `pipeline ×${n} (sink)`, timeoutMs);
    return world.stop(inst);
  });
  const { values } = await alertsOf(world, alerts, `${world.run}-${tag}-read`);
  const t = await esThroughput(world, "pipeline", n, prefix, events, usage, values.map((a) => a.id), "events/s");
  const ids = await indexedIds(world.es, `${prefix}-*`);
  const byId = new Map(values.map((a) => [a.id, a.rule.groups]));
  const alertsCheck = checkAlerts(ids, (id) => byId.get(id), result.evidence.expected);
  t.check = { ok: t.check!.ok && alertsCheck.ok, detail: `${t.check!.detail}; ${alertsCheck.detail}` };
  if (n === 1) {
    result.evidence.pipelineIds = new Set(ids);
    result.evidence.pipelineRuleOf = new Map(values.map((a) => [a.id, a.rule.id]));
  }
  return t;
}

/** A fresh pipeline fed at a steady rate by the fleet (event time = when the bench sends it); event → alert produced (Kafka timestamp) and → indexed (Elasticsearch acknowledged it, seen by the proxy). */
async function latency(world: BenchWorld, opts: BenchOptions, log: Log): Promise<LatencyResult> {
  const prefix = `${world.run}-latency`;
  world.track(prefix);
  const raw = await world.topic("latency.raw");
  const decoded = await world.topic("latency.decoded");
  const alerts = await world.topic("latency.alerts");
  const groups = { decoder: `${world.run}-latency-decoder`, rules: `${world.run}-latency-rules`, sink: `${world.run}-latency-sink` };
  const env = { TOPIC_RAW: raw, TOPIC_DECODED: decoded, TOPIC_ALERTS: alerts, DECODER_CONSUMER_GROUP: groups.decoder, RULES_CONSUMER_GROUP: groups.rules, SINK_CONSUMER_GROUP: groups.sink, SINK_INDEX_PREFIX: prefix, REDIS_KEY_PREFIX: `${world.run}:latency:` };
  const inst = await world.start((["sink", "rules", "decoder"] as const).map((name) => ({ name, label: `${name}#0`, env })), "latency");
  const fleet = source(opts, `${world.run}-l`, opts.seed + 1);
  const producer = await benchProducer(world);
  const warmup = opts.latencyWarmupSeconds ?? 0;
  const total = Math.round(opts.latencyRate * (warmup + opts.latencySeconds));
  let sent = 0;
  const started = performance.now();
  const measuredFromMs = performance.timeOrigin + started + warmup * 1000;
  let lastLog = Date.now();
  try {
    // Every 10 ms, what is due by now: a steady rate, caught up after a slow send.
    while (sent < total) {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * opts.latencyRate));
      if (due > sent) {
        const messages = [];
        for (; sent < due; sent++) {
          const r = fleet.next(nowNano());
          messages.push({ key: r.key, value: encodeRecord(r.record, (v) => world.clients.codec.encode("DockerEvent", v)) });
        }
        await producer.send({ topic: raw, acks: -1, messages });
      } else await new Promise((r) => setTimeout(r, 10));
      if (Date.now() - lastLog > 5000) {
        log(`latency: ${fmt(sent)} / ${fmt(total)} events injected`);
        lastLog = Date.now();
      }
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (performance.now() - started) / 1000;
  await world.drained(groups.decoder, raw, inst, "latency (decoder)", 300_000);
  await world.drained(groups.rules, decoded, inst, "latency (rules)", 300_000);
  await world.drained(groups.sink, alerts, inst, "latency (sink)", 300_000);
  const usage = await world.stop(inst);
  const { values, times } = await alertsOf(world, alerts, `${world.run}-latency-read`);
  const eventMsOf = (a: Alert) => Number(BigInt(a.data.docker.timeNano) / 1000n) / 1000;
  const produced = values.map((a, i) => ({ eventMs: eventMsOf(a), latencyMs: times[i]! - eventMsOf(a) }));
  const eventMs = new Map(values.map((a) => [a.id, eventMsOf(a)]));
  const indexed = world.proxy
    .acked(`${prefix}-`)
    .filter((a) => eventMs.has(a.id))
    .map((a) => ({ eventMs: eventMs.get(a.id)!, latencyMs: a.atMs - eventMs.get(a.id)! }));
  const measured = (list: LatencySample[]) => percentiles(list.filter((s) => s.eventMs >= measuredFromMs).map((s) => s.latencyMs));
  return {
    rate: opts.latencyRate,
    seconds: opts.latencySeconds,
    warmupSeconds: warmup,
    injected: sent,
    achievedRate: sent / seconds,
    alerts: values.length,
    toProduced: measured(produced),
    toIndexed: measured(indexed),
    windows: latencyWindows(indexed, measuredFromMs - warmup * 1000, 5_000),
    usage,
  };
}

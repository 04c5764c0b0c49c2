// The bench's report: reports/bench.md (tables, the issue's targets met or
// missed) and reports/bench.json (everything, for comparing runs).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult, Percentiles, Throughput } from "./run.js";
import type { Usage } from "./world.js";

export interface Setting {
  machine: { cpus: number; cpuModel: string; memoryGB: number; loadAverage: number[]; os: string };
  versions: Record<string, string>;
  command: string;
}

export interface Target {
  target: string;
  figure: string;
  status: "met" | "missed" | "not measured";
  /** For a missed target: where the time (or memory) goes in this run, from its own figures. */
  why?: string;
}

/** CPU µs per input record of a phase: dockwatch's processes (or the bench's client), and the shared Kafka, Elasticsearch and Redis. */
export interface RecordCost {
  own: number;
  kafka?: number;
  es?: number;
  redis?: number;
  all: number;
}

export function recordCost(usage: Usage[], input: number): RecordCost | undefined {
  if (!input) return undefined;
  const per = (select: (u: Usage) => boolean) => (usage.filter(select).reduce((sum, u) => sum + u.workCpuSeconds, 0) * 1e6) / input;
  const shared = (name: string) => (usage.some((u) => u.shared && u.service === name) ? per((u) => u.shared === true && u.service === name) : undefined);
  const own = per((u) => !u.shared);
  const [kafka, es, redis] = [shared("kafka"), shared("elasticsearch"), shared("redis")];
  const all = own + (kafka ?? 0) + (es ?? 0) + (redis ?? 0);
  return all > 0 ? { own, kafka, es, redis, all } : undefined;
}

/** The records/s `cpus` cores allow at this CPU per record: a phase's bound (Where the time goes). */
const cpuBound = (c: RecordCost, cpus: number) => (cpus * 1e6) / c.all;

const costParts = (c: RecordCost) =>
  [`dockwatch ${c.own.toFixed(0)}`, c.kafka !== undefined ? `Kafka ${c.kafka.toFixed(0)}` : "", c.es !== undefined ? `Elasticsearch ${c.es.toFixed(0)}` : "", c.redis !== undefined ? `Redis ${c.redis.toFixed(0)}` : ""]
    .filter(Boolean)
    .join(", ");

/**
 * The cores one instance of a service's process kept busy over the phase
 * (its CPU per record times the rate, per instance) when that says it was
 * bound by its JavaScript thread (THREAD_BOUND_CORES), else undefined; never
 * for the pipeline, whose processes are three services.
 */
function threadBoundCores(t: Throughput, cost: RecordCost): number | undefined {
  if (t.name === "pipeline" || t.perSecond === undefined) return undefined;
  const cores = (cost.own * t.perSecond) / 1e6 / t.instances;
  return cores >= THREAD_BOUND_CORES ? cores : undefined;
}

/**
 * From how many cores of one process's CPU its JavaScript thread counts as
 * busy throughout. A process's CPU is its one JavaScript thread plus V8's
 * garbage-collector threads, which work while it works; a process over one
 * core kept its thread busy nearly all the time (in this machine's profiles,
 * decoder and rules at 1.36–1.45 cores showed 11–19 % idle over the whole
 * process, start-up and the wait for the group included). Below the cores'
 * bound, such a stage is bound by its thread rather than waiting: only less
 * CPU per record, or another instance on another core, makes it faster.
 */
export const THREAD_BOUND_CORES = 1;

const threadBound = (cores: number) =>
  `each instance's process kept ${cores.toFixed(2)} cores busy, its one JavaScript thread and V8's garbage-collector threads beside it: bound by that thread (--cpu-prof shows its idle share), which the cores' bound does not show; another instance is what uses another core (Scale out)`;

/**
 * Why a throughput target was missed, from the phase's CPU per record: the
 * cores cannot give the rate the target needs at this cost (CPU-bound here:
 * only less CPU per record helps); or the stage's one JavaScript thread was
 * busy throughout (bound by it: less CPU per record, or another instance);
 * or neither, and the stage waited on something (its profile says on what).
 */
function throughputWhy(s: Throughput, needed: number, cpus: number): string | undefined {
  const cost = recordCost(s.usage, s.input);
  if (!cost || s.perSecond === undefined) return undefined;
  const bound = cpuBound(cost, cpus);
  const spend = `${cost.all.toFixed(0)} µs of CPU per record all told (${costParts(cost)})`;
  if (needed > bound) {
    return `CPU-bound here: at ${spend} ${cpus} cores allow ${n0(bound)} records/s (measured ${r2(s.perSecond / bound)} of that); the target needs ${n0(needed)}/s, at most ${((cpus * 1e6) / needed).toFixed(0)} µs per record on this machine`;
  }
  const allowed = `${cpus} cores would allow ${n0(bound)} records/s at ${spend}; it ran at ${r2(s.perSecond / bound)} of that`;
  const cores = threadBoundCores(s, cost);
  if (cores !== undefined) return `${allowed}, but ${threadBound(cores)}`;
  return `${allowed}, so part of the time it waited on its round trips (fetch, produce or \`_bulk\`, commit; --cpu-prof shows the idle share)`;
}

const n0 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : Math.round(v).toLocaleString("en"));
const r2 = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(2)}×`);
const ms = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(1)}`);

/** The issue's targets (issue 13, deliverable 2) against the run's figures; `cpus`, the machine's cores, lets a missed one say why. */
export function targets(r: BenchResult, cpus?: number): Target[] {
  const one = (name: string) => r.stages.find((s) => s.name === name && s.instances === 1);
  const ratioTarget = (name: string, min: number, against: string): Target => {
    const s = one(name);
    const figure = s?.ratio === undefined ? "not measured" : `${r2(s.ratio)} (${n0(name === "sink" || name === "pipeline" ? s.outputPerSecond : s.perSecond)} vs ${n0((s.ratio ? (name === "sink" || name === "pipeline" ? s.outputPerSecond! : s.perSecond!) / s.ratio : undefined))})`;
    const status = s?.ratio === undefined ? "not measured" : s.ratio >= min ? "met" : "missed";
    const t: Target = { target: `${name} alone ≥ ${min}× ${against}`.replace("pipeline alone", "whole pipeline"), figure, status };
    // The rate of input records the target asks for: the ratio is over documents for the sink and the pipeline.
    if (status === "missed" && cpus && s?.ratio && s.perSecond !== undefined) {
      const why = throughputWhy(s, (s.perSecond * min) / s.ratio, cpus);
      if (why) t.why = why;
    }
    return t;
  };
  const out: Target[] = [
    ratioTarget("decoder", 0.5, "the kafkajs passthrough"),
    ratioTarget("rules", 0.4, "the kafkajs passthrough"),
    ratioTarget("sink", 0.8, "the plain _bulk"),
    ratioTarget("pipeline", 0.6, "the plain _bulk"),
  ];
  const lat = r.latency;
  const p99 = lat?.toIndexed.p99;
  const latencyTarget: Target = { target: `p99 event → alert indexed ≤ 100 ms at ${r.options.latencyRate.toLocaleString("en")} events/s`, figure: p99 === undefined ? "not measured" : `${ms(p99)} ms`, status: p99 === undefined ? "not measured" : p99 <= 100 ? "met" : "missed" };
  if (latencyTarget.status === "missed" && cpus && lat && lat.seconds + lat.warmupSeconds > 0) {
    const busy = lat.usage.reduce((sum, u) => sum + u.workCpuSeconds, 0) / (lat.seconds + lat.warmupSeconds);
    const cost = recordCost(lat.usage, lat.injected);
    latencyTarget.why = `at this rate the services, Kafka, Elasticsearch and Redis kept about ${busy.toFixed(1)} of the ${cpus} cores busy${cost ? ` (${cost.all.toFixed(0)} µs per event: ${costParts(cost)})` : ""}; each hop (fetch, process, acks=all produce, commit, then a \`_bulk\`) queues for CPU, and the tail is that queueing (the 5-second windows below)`;
  }
  out.push(latencyTarget);
  for (const service of ["decoder", "rules", "sink"]) {
    const all = [...r.stages.flatMap((s) => s.usage), ...(r.latency?.usage ?? [])].filter((u) => u.service.startsWith(`${service}#`));
    const top = all.length ? all.reduce((a, b) => (b.peakRssMB > a.peakRssMB ? b : a)) : undefined;
    const peak = top?.peakRssMB;
    const t: Target = { target: `${service} ≤ 150 MB RSS at full load`, figure: peak === undefined ? "not measured" : `${peak.toFixed(0)} MB (highest VmHWM of its processes in this run)`, status: peak === undefined ? "not measured" : peak <= 150 ? "met" : "missed" };
    if (t.status === "missed" && top?.readyRssMB !== undefined) t.why = rssWhy(top.readyRssMB, top.peakRssMB, 150);
    out.push(t);
  }
  const c = r.collector;
  const cPeak = c?.usage[0]?.peakRssMB;
  out.push({
    target: "collector ≤ 100 MB RSS",
    figure: c === undefined || cPeak === undefined ? "not measured" : `${cPeak.toFixed(0)} MB (VmHWM) following ${n0(c.engineEvents)} engine events at ${n0(c.perSecond)} records/s${c.check.ok ? "" : "; **not every event published once**"}`,
    status: c === undefined || cPeak === undefined ? "not measured" : cPeak <= 100 && c.check.ok ? "met" : "missed",
    ...(c?.usage[0]?.readyRssMB !== undefined && cPeak !== undefined && cPeak > 100 ? { why: rssWhy(c.usage[0].readyRssMB, cPeak, 100, "the events in flight and the inspect cache") } : {}),
  });
  const sd = r.shutdown;
  out.push({
    target: "Ctrl-C on npm start returns within 3 s, offsets committed",
    figure: sd === undefined || sd.rounds.length === 0 ? "not measured" : `${sd.rounds.map((x) => `${x.what} ${n0(x.ms)} ms${x.check.ok ? "" : " (**offsets or exit code wrong**)"}`).join(", ")} (\`dockwatch up\`, SIGINT)`,
    status: sd === undefined || sd.rounds.length < 2 ? "not measured" : sd.rounds.every((x) => x.ms <= 3000 && x.check.ok) ? "met" : "missed",
  });
  return out;
}

/** Why a process is over its memory target: what it held when ready (code, libraries, an empty heap) against what the load added. */
function rssWhy(readyMB: number, peakMB: number, limitMB: number, load = "one round's records and their decoded objects"): string {
  const ready = `${readyMB.toFixed(0)} MB when ready, before any load (Node itself, the libraries loaded, an empty heap)`;
  const added = `${(peakMB - readyMB).toFixed(0)} MB more under load (${load}, and V8's young generation, which \`--max-semi-space-size\` trades for CPU)`;
  return readyMB > limitMB ? `${ready}: over ${limitMB} MB before the first record; ${added}` : `${ready}; ${added}`;
}

function throughputRow(t: Throughput): string {
  const ok = t.check ? (t.check.ok ? "ok" : `**FAILED**`) : "";
  return `| ${t.name} | ${t.instances} | ${n0(t.input)} | ${n0(t.output)} | ${n0(t.perSecond)} ${t.unit} | ${t.outputPerSecond !== undefined && t.unit !== "records/s" && t.unit !== "docs/s" ? n0(t.outputPerSecond) : ""} | ${t.limit ?? ""} | ${r2(t.ratio)} | ${[ok, t.check?.detail, t.detail].filter(Boolean).join(" ")} |`;
}

function latencyRow(what: string, p: Percentiles): string {
  return `| ${what} | ${n0(p.count)} | ${ms(p.p50)} | ${ms(p.p95)} | ${ms(p.p99)} | ${ms(p.max)} |`;
}

export function reportMarkdown(r: BenchResult, s: Setting): string {
  const L: string[] = [];
  const m = s.machine;
  L.push(`# dockwatch bench`, "");
  L.push(`- command: \`${s.command}\``);
  L.push(`- run: ${r.run}, ${r.startedAt} → ${r.finishedAt}`);
  L.push(`- machine: ${m.cpus} cores (${m.cpuModel}), ${m.memoryGB.toFixed(1)} GB RAM, ${m.os}; load average at start ${m.loadAverage.map((l) => l.toFixed(2)).join(" / ")} (Kafka, Elasticsearch, Redis, the services and the bench share it)`);
  L.push(`- versions: ${Object.entries(s.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  L.push(`- data: ${n0(r.fleet.records)} events from ${r.options.hosts} virtual hosts (seed ${r.options.seed}), ${(r.fleet.bytes / 1048576).toFixed(1)} MB encoded, ${r.fleet.avgRecordBytes} B per record on average; ${n0(r.fleet.expectedAlerts)} own alerts expected, ${n0(r.fleet.correlatedEvents)} events counted by frequency rules`);
  L.push(`- mix: ${Object.entries(r.fleet.mix).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  L.push("");
  L.push("## Targets (issue 13)", "", "For a missed target, why: from this run's own figures (CPU per record and the cores, or what a process held before any load).", "", "| target | this run | | why (missed) |", "|---|---|---|---|");
  for (const t of targets(r, m.cpus)) L.push(`| ${t.target} | ${t.figure} | ${t.status === "met" ? "met" : t.status === "missed" ? "**missed**" : "not measured"} | ${t.why ?? ""} |`);
  L.push("");
  L.push("## Throughput", "");
  L.push("Each rate runs from the first to the last output record of the phase (start-up and group join left out: a stage or pipeline phase reads a copy of its input that the bench holds back in an open Kafka transaction until every instance of the phase has joined): Kafka's timestamp of the records a stage produced; for Elasticsearch, the moment it acknowledged each document (the 2xx item of the `_bulk` answer that held it, seen by a recording pass-through proxy between the sinks and Elasticsearch; the plain `_bulk` goes through the same proxy; the local Elasticsearch has no ingest modules, so no `_ingest.timestamp`). Decoder and rules are compared with the kafkajs passthrough (records/s), sink and pipeline by documents indexed per second with the plain `_bulk`.", "");
  L.push("| measurement | instances | input | output | rate | output/s | compared with | ratio | check |", "|---|---|---|---|---|---|---|---|---|");
  for (const t of r.limits) L.push(throughputRow(t));
  for (const t of [...r.stages].sort((a, b) => order(a) - order(b))) L.push(throughputRow(t));
  L.push("");
  if (r.latency) {
    const l = r.latency;
    L.push("## Latency", "");
    L.push(`A fresh pipeline (one decoder, rules and sink) fed ${n0(l.injected)} events at ${n0(l.achievedRate)} events/s (asked ${n0(l.rate)}/s for ${l.warmupSeconds ? `${l.warmupSeconds} s of warm-up, not in the percentiles, then ` : ""}${l.seconds} s); the event time is the moment the bench sends the record (the collector's own delay is not in it). Alert produced: the Kafka timestamp of the alert on the alerts topic. Alert indexed: when Elasticsearch acknowledged its document (the \`_bulk\` answer seen by the bench's proxy; searchable at the next refresh, 1 s at most later). Milliseconds, nearest rank.`, "");
    L.push("| event → | alerts | p50 | p95 | p99 | max |", "|---|---|---|---|---|---|");
    L.push(latencyRow("alert produced", l.toProduced));
    L.push(latencyRow("alert indexed", l.toIndexed));
    if (l.windows?.length) {
      L.push("", "Event → alert indexed by 5-second windows of event time (warm-up included): a tail that grows from window to window is a backlog (the pipeline is slower than the rate); one that shrinks is warm-up.", "");
      L.push("| from s | alerts | p50 | p99 | max |", "|---|---|---|---|---|");
      for (const w of l.windows) L.push(`| ${w.fromSeconds}${w.fromSeconds < l.warmupSeconds ? " (warm-up)" : ""} | ${n0(w.latency.count)} | ${ms(w.latency.p50)} | ${ms(w.latency.p99)} | ${ms(w.latency.max)} |`);
    }
    L.push("");
  }
  L.push("## Processes", "", "Peak RSS is VmHWM of /proc/<pid>/status, over the phase and when the process was ready (before any load: code, libraries and an empty heap); CPU is utime+stime, in all and after the process was ready (the phase's work); CPU µs per input record is the phase's work divided by the records it was given.", "");
  L.push("| phase | process | peak RSS MB | RSS at ready MB | CPU s | CPU s after ready | CPU µs per input record |", "|---|---|---|---|---|---|---|");
  // The shared processes (Kafka, Elasticsearch, Redis) only by their CPU over the phase: their RSS and lifetime CPU are not the phase's.
  const row = (phase: string, u: Usage, records: number) =>
    u.shared
      ? `| ${phase} | ${u.service} (shared) | – | – | – | ${u.workCpuSeconds.toFixed(1)} | ${perRecordMicros(u.workCpuSeconds, records)} |`
      : `| ${phase} | ${u.service} | ${u.peakRssMB.toFixed(0)} | ${u.readyRssMB === undefined ? "–" : u.readyRssMB.toFixed(0)} | ${u.cpuSeconds.toFixed(1)} | ${u.workCpuSeconds.toFixed(1)} | ${perRecordMicros(u.workCpuSeconds, records)} |`;
  for (const t of [...r.stages].sort((a, b) => order(a) - order(b))) for (const u of t.usage) L.push(row(`${t.name} ×${t.instances}`, u, t.input));
  for (const u of r.latency?.usage ?? []) L.push(row("latency", u, r.latency?.injected ?? 0));
  L.push("");
  L.push(...collectorSection(r));
  L.push(...shutdownSection(r));
  L.push(...whereTheTimeGoes(r, s));
  L.push(...scaleSection(r, s));
  L.push(...profilesSection(r));
  if (r.problems.length) {
    L.push("## Problems", "");
    for (const p of r.problems) L.push(`- ${p}`);
    L.push("");
  }
  return L.join("\n");
}

function collectorSection(r: BenchResult): string[] {
  const c = r.collector;
  if (!c) return [];
  const u = c.usage[0];
  const L = ["## Collector", ""];
  L.push(`The real collector (\`node services/collector/dist/main.js\`) following the local Docker engine into the run's own raw topic while the bench made ${c.containers} containers of the local busybox image (labelled with the run) go through create, start, ${n0(c.execs)} execs, stop and removal for ${c.seconds.toFixed(0)} s, ${c.workers} clients at once. The bench's own reader of the engine's event stream (\`GET /events\` filtered by the run's label) says what it had to publish, event by event; the rate is the collector's records of those containers from the first to the last Kafka timestamp, so it is the engine's pace when the collector keeps up (the delay says whether it did). Other programs' events on the shared engine are published too and left out of the counts.`, "");
  L.push("| engine events | published | records/s | engine events/s | delay p50 / p99 / max ms (engine time → Kafka) | peak RSS MB | CPU s after ready | CPU µs per record | check |", "|---|---|---|---|---|---|---|---|---|");
  L.push(`| ${n0(c.engineEvents)} | ${n0(c.published)} | ${n0(c.perSecond)} | ${n0(c.engineRate)} | ${ms(c.delay.p50)} / ${ms(c.delay.p99)} / ${ms(c.delay.max)} | ${u ? u.peakRssMB.toFixed(0) : "–"} | ${u ? u.workCpuSeconds.toFixed(1) : "–"} | ${u ? perRecordMicros(u.workCpuSeconds, c.published) : "–"} | ${c.check.ok ? "ok" : "**FAILED**"} ${c.check.detail} |`);
  L.push("");
  return L;
}

function shutdownSection(r: BenchResult): string[] {
  const sd = r.shutdown;
  if (!sd) return [];
  const L = ["## Ctrl-C", ""];
  L.push(`\`dockwatch up --no-infra --plain\` (the supervisor \`npm start\` runs, with the four services) on the run's own topics, groups and ports, stopped with SIGINT as Ctrl-C sends it (the code of \`npm run measure:shutdown -w services/cli\`): first in full flow (${n0(sd.records)} raw records produced to it, the signal once the first were decoded), then started again, drained and stopped idle. The time is from the signal to the exit of \`up\` (every service gone). Offsets: in full flow the decoder's commit must equal the decoded records it produced (nothing to produce twice) and no group may commit past its topic's end; idle, every group must be at its topic's end.`, "");
  L.push("| stopped | ms to exit | check |", "|---|---|---|");
  for (const x of sd.rounds) L.push(`| ${x.what} | ${n0(x.ms)} | ${x.check.ok ? "ok" : "**FAILED**"} ${x.check.detail} |`);
  L.push("");
  return L;
}

/** Per phase and process: where its CPU went (self time by place), and its top functions. */
function profilesSection(r: BenchResult): string[] {
  if (!r.profiles.length) return [];
  const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
  const L = ["## Profiles", ""];
  L.push("V8 CPU profiles (`--cpu-prof`, a sample every millisecond) of each service process of each phase, from its start to its exit, so start-up and the idle wait for the group are in them. Self time, as a share of all sampled time; \"busy\" leaves out `(idle)` and `(program)`. Places: a package under node_modules, a dockwatch lib or service, node's own JavaScript, V8's pseudo-frames such as the garbage collector. The figures of a profiled run are lower than without the profiler. Open a file in Chrome DevTools (Performance) or speedscope for the call tree.", "");
  L.push("| phase | process | sampled s | busy s | self time by place | file |", "|---|---|---|---|---|---|");
  for (const p of r.profiles) {
    if (!p.summary) {
      L.push(`| ${p.phase} | ${p.service} | – | – | no profile: ${p.error ?? "?"} | ${p.file} |`);
      continue;
    }
    const places = p.summary.byPlace.slice(0, 8).map((x) => `${x.name} ${pct(x.share)}`).join(", ");
    L.push(`| ${p.phase} | ${p.service} | ${(p.summary.totalMs / 1000).toFixed(1)} | ${(p.summary.busyMs / 1000).toFixed(1)} | ${places} | ${p.file} |`);
  }
  L.push("");
  for (const p of r.profiles) {
    if (!p.summary) continue;
    L.push(`### ${p.phase}, ${p.service}: top functions`, "", "| function | self ms | share |", "|---|---|---|");
    for (const f of p.summary.byFunction.slice(0, 12)) L.push(`| \`${f.name.replaceAll("|", "\\|")}\` | ${f.ms.toFixed(0)} | ${pct(f.share)} |`);
    L.push("");
  }
  return L;
}

const perRecordMicros = (cpuSeconds: number, records: number) => (records > 0 ? ((cpuSeconds * 1e6) / records).toFixed(0) : "–");

/**
 * The CPU budget of each phase, from this run's own figures: the CPU its
 * processes spent per input record, dockwatch's and the shared Kafka's,
 * Elasticsearch's and Redis's over the same phase, and the rate the
 * machine's cores would allow at that total. A phase near its bound is
 * CPU-bound here: only less CPU per record, by whoever spends it, makes it
 * faster; one far below it waits. The limits are in it too (their client is
 * the bench process), so a stage's cost reads against its limit's. Profiles
 * of where dockwatch's CPU goes are in the Profiles section (--cpu-prof).
 */
export function whereTheTimeGoes(r: BenchResult, s: Setting): string[] {
  const L = [
    "## Where the time goes",
    "",
    `CPU per input record over each phase: of dockwatch's processes (for a limit: the bench process, its client), and of the shared Kafka, Elasticsearch and Redis (infra/local's processes; anything else using them in the meantime is counted too). "bound" is the rate ${s.machine.cpus} cores allow at the total; measured / bound near 1 means the phase is CPU-bound on this machine. Where dockwatch's CPU goes: \`npm run bench -- --cpu-prof\` (the Profiles section)${r.profiles.length ? ", below" : ""}.`,
    "",
  ];
  L.push("| phase | dockwatch µs/record | Kafka µs/record | Elasticsearch µs/record | Redis µs/record | all µs/record | bound (records/s) | measured (records/s) | measured / bound |", "|---|---|---|---|---|---|---|---|---|");
  const rows = [...r.limits.filter((t) => t.usage.length > 0), ...[...r.stages].sort((a, b) => order(a) - order(b))];
  for (const t of rows) {
    const cost = recordCost(t.usage, t.input);
    if (!cost || t.perSecond === undefined) continue;
    const { own, kafka, es, redis, all } = cost;
    const bound = cpuBound(cost, s.machine.cpus);
    const cell = (v: number | undefined) => (v === undefined ? "–" : v.toFixed(0));
    L.push(`| ${r.limits.includes(t) ? t.name : `${t.name} ×${t.instances}`} | ${own.toFixed(0)} | ${cell(kafka)} | ${cell(es)} | ${cell(redis)} | ${all.toFixed(0)} | ${n0(bound)} | ${n0(t.perSecond)} | ${(t.perSecond / bound).toFixed(2)} |`);
  }
  L.push("");
  return L;
}

export interface ScaleRow {
  name: string;
  instances: number;
  one: number;
  many: number;
  /** Rate of N instances over one. */
  speedup: number;
  /** Measured / bound of each (see whereTheTimeGoes): how much of the cores each used. */
  oneOfBound: number;
  manyOfBound: number;
  why: string;
}

/**
 * What N instances of a stage bought over one, from the same run: the rates,
 * and why, by how much of the cores' bound each used. One instance near its
 * bound was CPU-bound here: more instances can only share the same cores (and
 * add their own per-round cost). One far below it either kept its one
 * JavaScript thread busy (THREAD_BOUND_CORES), and a second instance adds a
 * thread on another core, or waited on its round trips, and a second
 * instance fills those waits.
 */
export function scaleRows(r: BenchResult, cpus: number): ScaleRow[] {
  const rows: ScaleRow[] = [];
  for (const many of r.stages) {
    if (many.instances < 2) continue;
    const one = r.stages.find((t) => t.name === many.name && t.instances === 1);
    const [c1, cN] = [one && recordCost(one.usage, one.input), recordCost(many.usage, many.input)];
    if (!one || !c1 || !cN || !one.perSecond || !many.perSecond) continue;
    const oneOfBound = one.perSecond / cpuBound(c1, cpus);
    const manyOfBound = many.perSecond / cpuBound(cN, cpus);
    const speedup = many.perSecond / one.perSecond;
    const cost = `CPU per record ${c1.all.toFixed(0)} → ${cN.all.toFixed(0)} µs all told`;
    const cores = threadBoundCores(one, c1);
    const rest = cores !== undefined ? `its process kept ${cores.toFixed(2)} cores busy: bound by its one JavaScript thread` : "the rest it waited on its round trips";
    const why =
      oneOfBound >= 0.85
        ? `one instance already used ${oneOfBound.toFixed(2)} of what ${cpus} cores allow: CPU-bound here, so more instances share the same cores (${cost})`
        : `one instance used ${oneOfBound.toFixed(2)} of what ${cpus} cores allow (${rest}); ${many.instances} used ${manyOfBound.toFixed(2)} (${cost})`;
    rows.push({ name: many.name, instances: many.instances, one: one.perSecond, many: many.perSecond, speedup, oneOfBound, manyOfBound, why });
  }
  return rows.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
}

function scaleSection(r: BenchResult, s: Setting): string[] {
  const rows = scaleRows(r, s.machine.cpus);
  if (rows.length === 0) return [];
  const L = ["## Scale out", "", `What more instances of each service bought in this run (the scale phase: the same input, held until every instance joined), on ${s.machine.cpus} cores that Kafka, Elasticsearch and Redis share. "of bound" as in Where the time goes.`, ""];
  L.push("| stage | ×1 | ×N | ×N / ×1 | ×1 of bound | ×N of bound | why |", "|---|---|---|---|---|---|---|");
  for (const x of rows) L.push(`| ${x.name} | ${n0(x.one)} | ${n0(x.many)} (×${x.instances}) | ${x.speedup.toFixed(2)} | ${x.oneOfBound.toFixed(2)} | ${x.manyOfBound.toFixed(2)} | ${x.why} |`);
  L.push("");
  return L;
}

const ORDER = ["decoder", "rules", "sink", "pipeline"];
const order = (t: Throughput) => ORDER.indexOf(t.name) * 10 + t.instances;

export function writeReport(dir: string, r: BenchResult, s: Setting): { markdown: string; json: string } {
  const markdown = join(dir, "bench.md");
  const json = join(dir, "bench.json");
  writeFileSync(markdown, reportMarkdown(r, s));
  const { evidence: _evidence, output: _output, ...rest } = r;
  void _evidence;
  void _output;
  writeFileSync(json, `${JSON.stringify({ ...rest, setting: s, targets: targets(r, s.machine.cpus) }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
  return { markdown, json };
}

// The bench's report: reports/bench.md (tables, the issue's targets met or
// missed) and reports/bench.json (everything, for comparing runs).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchResult, Percentiles, Throughput } from "./run.js";

export interface Setting {
  machine: { cpus: number; cpuModel: string; memoryGB: number; loadAverage: number[]; os: string };
  versions: Record<string, string>;
  command: string;
}

export interface Target {
  target: string;
  figure: string;
  status: "met" | "missed" | "not measured";
}

const n0 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : Math.round(v).toLocaleString("en"));
const r2 = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(2)}×`);
const ms = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(1)}`);

/** The issue's targets (issue 13, deliverable 2) against the run's figures. */
export function targets(r: BenchResult): Target[] {
  const one = (name: string) => r.stages.find((s) => s.name === name && s.instances === 1);
  const ratioTarget = (name: string, min: number, against: string): Target => {
    const s = one(name);
    const figure = s?.ratio === undefined ? "not measured" : `${r2(s.ratio)} (${n0(name === "sink" || name === "pipeline" ? s.outputPerSecond : s.perSecond)} vs ${n0((s.ratio ? (name === "sink" || name === "pipeline" ? s.outputPerSecond! : s.perSecond!) / s.ratio : undefined))})`;
    return { target: `${name} alone ≥ ${min}× ${against}`.replace("pipeline alone", "whole pipeline"), figure, status: s?.ratio === undefined ? "not measured" : s.ratio >= min ? "met" : "missed" };
  };
  const out: Target[] = [
    ratioTarget("decoder", 0.5, "the kafkajs passthrough"),
    ratioTarget("rules", 0.4, "the kafkajs passthrough"),
    ratioTarget("sink", 0.8, "the plain _bulk"),
    ratioTarget("pipeline", 0.6, "the plain _bulk"),
  ];
  const p99 = r.latency?.toIndexed.p99;
  out.push({ target: `p99 event → alert indexed ≤ 100 ms at ${r.options.latencyRate.toLocaleString("en")} events/s`, figure: p99 === undefined ? "not measured" : `${ms(p99)} ms`, status: p99 === undefined ? "not measured" : p99 <= 100 ? "met" : "missed" });
  for (const service of ["decoder", "rules", "sink"]) {
    const all = [...r.stages.flatMap((s) => s.usage), ...(r.latency?.usage ?? [])].filter((u) => u.service.startsWith(`${service}#`));
    const peak = all.length ? Math.max(...all.map((u) => u.peakRssMB)) : undefined;
    out.push({ target: `${service} ≤ 150 MB RSS at full load`, figure: peak === undefined ? "not measured" : `${peak.toFixed(0)} MB (highest VmHWM of its processes in this run)`, status: peak === undefined ? "not measured" : peak <= 150 ? "met" : "missed" });
  }
  out.push({ target: "collector ≤ 100 MB RSS", figure: "not measured here: the fleet simulator stands in for the collectors", status: "not measured" });
  out.push({ target: "Ctrl-C on npm start returns within 3 s, offsets committed", figure: "not measured by the bench (issue 13's shutdown work has its own test)", status: "not measured" });
  return out;
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
  L.push("## Targets (issue 13)", "", "| target | this run | |", "|---|---|---|");
  for (const t of targets(r)) L.push(`| ${t.target} | ${t.figure} | ${t.status === "met" ? "met" : t.status === "missed" ? "**missed**" : "not measured"} |`);
  L.push("");
  L.push("## Throughput", "");
  L.push("Each rate runs from the first to the last output record of the phase (start-up and group join left out): Kafka's timestamp of the records a stage produced; for Elasticsearch, the moment it acknowledged each document (the 2xx item of the `_bulk` answer that held it, seen by a recording pass-through proxy between the sinks and Elasticsearch; the plain `_bulk` goes through the same proxy; the local Elasticsearch has no ingest modules, so no `_ingest.timestamp`). Decoder and rules are compared with the kafkajs passthrough (records/s), sink and pipeline by documents indexed per second with the plain `_bulk`.", "");
  L.push("| measurement | instances | input | output | rate | output/s | compared with | ratio | check |", "|---|---|---|---|---|---|---|---|---|");
  for (const t of r.limits) L.push(throughputRow(t));
  for (const t of [...r.stages].sort((a, b) => order(a) - order(b))) L.push(throughputRow(t));
  L.push("");
  if (r.latency) {
    const l = r.latency;
    L.push("## Latency", "");
    L.push(`A fresh pipeline (one decoder, rules and sink) fed ${n0(l.injected)} events at ${n0(l.achievedRate)} events/s (asked ${n0(l.rate)}/s for ${l.seconds} s); the event time is the moment the bench sends the record (the collector's own delay is not in it). Alert produced: the Kafka timestamp of the alert on the alerts topic. Alert indexed: when Elasticsearch acknowledged its document (the \`_bulk\` answer seen by the bench's proxy; searchable at the next refresh, 1 s at most later). Milliseconds, nearest rank.`, "");
    L.push("| event → | alerts | p50 | p95 | p99 | max |", "|---|---|---|---|---|---|");
    L.push(latencyRow("alert produced", l.toProduced));
    L.push(latencyRow("alert indexed", l.toIndexed));
    L.push("");
  }
  L.push("## Processes", "", "Peak RSS is VmHWM of /proc/<pid>/status; CPU is utime+stime, in all and after the process was ready (the phase's work); CPU µs per input record is the phase's work divided by the records it was given.", "");
  L.push("| phase | process | peak RSS MB | CPU s | CPU s after ready | CPU µs per input record |", "|---|---|---|---|---|---|");
  for (const t of [...r.stages].sort((a, b) => order(a) - order(b))) for (const u of t.usage) L.push(`| ${t.name} ×${t.instances} | ${u.service} | ${u.peakRssMB.toFixed(0)} | ${u.cpuSeconds.toFixed(1)} | ${u.workCpuSeconds.toFixed(1)} | ${perRecordMicros(u.workCpuSeconds, t.input)} |`);
  for (const u of r.latency?.usage ?? []) L.push(`| latency | ${u.service} | ${u.peakRssMB.toFixed(0)} | ${u.cpuSeconds.toFixed(1)} | ${u.workCpuSeconds.toFixed(1)} | ${perRecordMicros(u.workCpuSeconds, r.latency?.injected ?? 0)} |`);
  L.push("");
  L.push(...whereTheTimeGoes(r, s));
  if (r.problems.length) {
    L.push("## Problems", "");
    for (const p of r.problems) L.push(`- ${p}`);
    L.push("");
  }
  return L.join("\n");
}

const perRecordMicros = (cpuSeconds: number, records: number) => (records > 0 ? ((cpuSeconds * 1e6) / records).toFixed(0) : "–");

/**
 * The CPU budget of each stage phase, from this run's own figures: the work CPU its processes
 * spent per input record, and the rate the machine's cores would allow if nothing else ran on
 * them (Kafka, Elasticsearch and Redis do). A phase far below that bound waits; one near it is
 * CPU-bound, and only less CPU per record makes it faster here. Profiles of where that CPU goes
 * are in each service's README (Performance).
 */
function whereTheTimeGoes(r: BenchResult, s: Setting): string[] {
  const L = ["## Where the time goes", "", `Work CPU of dockwatch's processes per input record, and the rate ${s.machine.cpus} cores would allow at that cost with nothing else on them (Kafka, Elasticsearch and Redis share them). Profiles: services/decoder/README.md, services/rules/README.md, services/sink/README.md (Performance).`, ""];
  L.push("| phase | CPU µs per input record | bound at that cost (records/s) | measured (records/s) | measured / bound |", "|---|---|---|---|---|");
  for (const t of [...r.stages].sort((a, b) => order(a) - order(b))) {
    const cpu = t.usage.reduce((sum, u) => sum + u.workCpuSeconds, 0);
    if (!t.input || cpu <= 0 || t.perSecond === undefined) continue;
    const micros = (cpu * 1e6) / t.input;
    const bound = (s.machine.cpus * 1e6) / micros;
    L.push(`| ${t.name} ×${t.instances} | ${micros.toFixed(0)} | ${n0(bound)} | ${n0(t.perSecond)} | ${(t.perSecond / bound).toFixed(2)} |`);
  }
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
  writeFileSync(json, `${JSON.stringify({ ...rest, setting: s, targets: targets(r) }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
  return { markdown, json };
}

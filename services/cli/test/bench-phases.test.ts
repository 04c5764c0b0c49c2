import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSchemas } from "@dockwatch/codec";
import { decodeEvent } from "@dockwatch/docker-event";
import { eventKey } from "../scripts/bench/collector.js";
import { checkBusy, checkIdle } from "../scripts/bench/ctrl-c.js";
import { FixtureFleet, fixtureLines, retimed } from "../scripts/bench/fixtures.js";
import { reportMarkdown, scaleRows, targets } from "../scripts/bench/report.js";
import type { Usage } from "../scripts/bench/world.js";
import type { BenchResult, Throughput } from "../scripts/bench/run.js";
import type { GroupPosition } from "../scripts/shutdown.js";

const DockerEventSchema = loadSchemas().get("DockerEvent")!;
const env = { DECODER_CONSUMER_GROUP: "d", RULES_CONSUMER_GROUP: "r", SINK_CONSUMER_GROUP: "s" };
const groups = (d: [number, number], r: [number, number], s: [number, number]): GroupPosition[] => [
  { group: "d", topic: "raw", committed: d[0], end: d[1] },
  { group: "r", topic: "decoded", committed: r[0], end: r[1] },
  { group: "s", topic: "alerts", committed: s[0], end: s[1] },
];


/** A run of `phases` that measured nothing: each test adds what it checks. */
const emptyResult = (phases: BenchResult["options"]["phases"]): BenchResult => ({
  run: "r",
  startedAt: "",
  finishedAt: "",
  options: { events: 10, hosts: 1, seed: 1, rate: 0, latencyRate: 1000, latencySeconds: 1, instances: 2, phases, keep: false },
  fleet: { records: 0, bytes: 0, avgRecordBytes: 0, mix: {}, expectedAlerts: 0, correlatedEvents: 0 },
  limits: [],
  stages: [],
  profiles: [],
  problems: [],
  evidence: { expected: new Map() },
  output: [],
});

const SETTING = { machine: { cpus: 2, cpuModel: "x", memoryGB: 1, loadAverage: [0, 0, 0] as number[], os: "x" }, versions: {}, command: "npm run bench" };
describe("bench input from the engine fixtures (--input fixtures)", () => {
  it("retimes a line past a double's precision, time in seconds beside it", () => {
    const line = '{"status":"start","Type":"container","Action":"start","Actor":{"ID":"c1","Attributes":{}},"scope":"local","time":1795873684,"timeNano":1795873684613854184}';
    assert.equal(retimed(line, 1_800_000_000_123_456_789n), line.replace('"time":1795873684,"timeNano":1795873684613854184', '"time":1800000000,"timeNano":1800000000123456789'));
  });

  it("cycles every fixture line, each record valid, decodable and with a time of its own (distinct alerts)", () => {
    const lines = fixtureLines();
    const fleet = new FixtureFleet({ hosts: 3, seed: 2, prefix: "t" });
    const times = new Set<bigint>();
    const actions = new Set<string>();
    for (let i = 0; i < lines.length * 2; i++) {
      // The same time asked twice: the fleet moves it on.
      const { record, key } = fleet.next(1_795_873_684_000_000_000n);
      assert.ok(DockerEventSchema.isValid(record));
      assert.ok(key);
      times.add(record.event!.timeNano);
      actions.add(`${record.event!.Type} ${record.event!.Action}`);
      assert.equal(decodeEvent(record).agent.id, record.agent.id);
    }
    assert.equal(times.size, lines.length * 2);
    for (const a of ["container create", "container start", "container exec_die", "image tag", "network connect", "volume create", "node create"]) assert.ok(actions.has(a), `${a} not among ${[...actions].join(", ")}`);
  });
});

describe("bench collector and Ctrl-C phases (pure parts)", () => {
  it("keys an engine event the same from its line and from the collector's record", () => {
    assert.equal(eventKey({ Actor: { ID: "abc" }, Action: "exec_die", timeNano: 1795873684613854184n }), eventKey({ Actor: { ID: "abc" }, Action: "exec_die", timeNano: "1795873684613854184" }));
  });

  it("in full flow: exit 0, the decoder's commit equal to its output, no group past an end", () => {
    assert.equal(checkBusy(0, groups([836, 4001], [457, 836], [124, 457]), 836, env).ok, true);
    // Decoded records its commit does not cover: produced again after a restart.
    assert.match(checkBusy(0, groups([800, 4001], [457, 836], [124, 457]), 836, env).detail, /≠ the decoder's commit/);
    assert.equal(checkBusy(0, groups([800, 4001], [457, 836], [124, 457]), 836, env).ok, false);
    assert.equal(checkBusy(130, groups([836, 4001], [457, 836], [124, 457]), 836, env).ok, false);
    assert.equal(checkBusy(0, groups([0, 4001], [0, 0], [0, 0]), 0, env).ok, false, "nothing committed is no clean stop in full flow");
  });

  it("idle: exit 0 and every group at its topic's end", () => {
    assert.equal(checkIdle(0, groups([10, 10], [10, 10], [7, 7]), env).ok, true);
    const behind = checkIdle(0, groups([10, 10], [9, 10], [7, 7]), env);
    assert.equal(behind.ok, false);
    assert.match(behind.detail, /rules 9\/10/);
  });

  it("puts the collector's RSS and the Ctrl-C times in the Targets table, met or missed, and their sections in the report", () => {
    const usage = (mb: number) => [{ service: "collector#0", peakRssMB: mb, cpuSeconds: 2, workCpuSeconds: 1 }];
    const round = (what: "in full flow" | "idle", ms: number, ok = true) => ({ what, ms, code: 0, groups: groups([1, 1], [1, 1], [1, 1]), decodedEnd: 1, check: { ok, detail: "d" } });
    const base = emptyResult(["collector", "shutdown"]);
    const collector = (mb: number, ok = true) => ({ seconds: 30, workers: 3, containers: 20, execs: 500, engineEvents: 1600, published: 1600, duplicates: 0, perSecond: 55, engineRate: 53, delay: { count: 1600, p50: 30, p99: 500, max: 700 }, usage: usage(mb), check: { ok, detail: "d" } });
    const status = (r: BenchResult, prefix: string) => targets(r).find((t) => t.target.startsWith(prefix))!.status;
    assert.equal(status(base, "collector"), "not measured");
    assert.equal(status(base, "Ctrl-C"), "not measured");
    assert.equal(status({ ...base, collector: collector(90) }, "collector"), "met");
    assert.equal(status({ ...base, collector: collector(126) }, "collector"), "missed");
    assert.equal(status({ ...base, collector: collector(90, false) }, "collector"), "missed", "a collector that loses events meets no target");
    assert.equal(status({ ...base, shutdown: { records: 10, rounds: [round("in full flow", 900), round("idle", 1100)] } }, "Ctrl-C"), "met");
    assert.equal(status({ ...base, shutdown: { records: 10, rounds: [round("in full flow", 3100), round("idle", 1100)] } }, "Ctrl-C"), "missed");
    assert.equal(status({ ...base, shutdown: { records: 10, rounds: [round("in full flow", 900), round("idle", 1100, false)] } }, "Ctrl-C"), "missed");
    const md = reportMarkdown(
      { ...base, collector: collector(90), shutdown: { records: 10, rounds: [round("in full flow", 900), round("idle", 1100)] }, profiles: [{ phase: "collector", service: "collector#0", file: "prof/collector/collector-0.cpuprofile", summary: { totalMs: 2000, busyMs: 500, byPlace: [{ name: "better-sqlite3", ms: 100, share: 0.05 }], byFunction: [{ name: "a|b x.js:1", ms: 100, share: 0.05 }] } }] },
      SETTING,
    );
    for (const heading of ["## Collector", "## Ctrl-C", "## Profiles", "### collector, collector#0: top functions"]) assert.ok(md.includes(heading), heading);
    assert.ok(md.includes("| collector | collector#0 | 2.0 | 0.5 | better-sqlite3 5.0 % | prof/collector/collector-0.cpuprofile |"));
    // A | in a function's name does not break the table.
    assert.ok(md.includes("`a\\|b x.js:1`"));
  });

  it("puts the shared Kafka's, Elasticsearch's and Redis's CPU beside dockwatch's in Where the time goes, limits included, and bounds the rate by the total", () => {
    const t = (name: string, input: number, perSecond: number, usage: Usage[]): Throughput => ({ name, instances: 1, input, output: input, perSecond, unit: "records/s", spanMs: 1000, usage });
    const shared = (service: string, workCpuSeconds: number): Usage => ({ service, peakRssMB: 0, cpuSeconds: 100, workCpuSeconds, shared: true });
    const r: BenchResult = {
      ...emptyResult(["limits", "stages"]),
      // 10,000 records: 1 CPU s is 100 µs per record.
      limits: [t("kafkajs passthrough", 10_000, 15_000, [{ service: "bench#0", peakRssMB: 0, cpuSeconds: 1, workCpuSeconds: 0.5 }, shared("kafka", 0.3)])],
      stages: [t("decoder", 10_000, 5_000, [{ service: "decoder#0", peakRssMB: 200, cpuSeconds: 4, workCpuSeconds: 3 }, shared("kafka", 0.5), shared("elasticsearch", 0), shared("redis", 0.1)])],
    };
    const md = reportMarkdown(r, SETTING);
    // passthrough: 50 + 30 = 80 µs, 2 cores allow 25,000/s; decoder: 300 + 50 + 0 + 10 = 360 µs, 5,556/s.
    assert.ok(md.includes("| kafkajs passthrough | 50 | 30 | – | – | 80 | 25,000 | 15,000 | 0.60 |"), md);
    assert.ok(md.includes("| decoder ×1 | 300 | 50 | 0 | 10 | 360 | 5,556 | 5,000 | 0.90 |"), md);
    assert.ok(md.includes("| decoder ×1 | kafka (shared) | – | – | – | 0.5 | 50 |"), "a shared process by its CPU over the phase only");
  });

  it("says for each missed target why, from the run's own figures: CPU-bound, bound by its JavaScript thread or waiting, memory held before any load or added by it", () => {
    const stage = (name: string, perSecond: number, ratio: number, workCpuSeconds: number, rss: { peak: number; ready: number }): Throughput => ({
      name,
      instances: 1,
      input: 10_000,
      output: 10_000,
      perSecond,
      outputPerSecond: perSecond,
      unit: "events/s",
      spanMs: 1000,
      ratio,
      usage: [{ service: `${name}#0`, peakRssMB: rss.peak, readyRssMB: rss.ready, cpuSeconds: workCpuSeconds + 1, workCpuSeconds }],
    });
    const r: BenchResult = {
      ...emptyResult(["stages", "pipeline"]),
      stages: [
        // 4 CPU s for 10,000 events: 400 µs each, 2 cores allow 5,000/s; 0.6× asks for 9,000/s.
        stage("pipeline", 3_000, 0.2, 4, { peak: 140, ready: 100 }),
        // 1 CPU s: 100 µs each, 20,000/s allowed; 0.5× asks for 6,250/s.
        stage("decoder", 5_000, 0.4, 1, { peak: 230, ready: 120 }),
        stage("sink", 5_000, 0.9, 1, { peak: 280, ready: 160 }),
        // 3 CPU s: 300 µs each, 6,667/s allowed; 0.4× asks for 5,333/s; at 4,000/s its process kept 1.2 cores busy.
        stage("rules", 4_000, 0.3, 3, { peak: 140, ready: 100 }),
      ],
    };
    const why = (prefix: string) => targets(r, 2).find((t) => t.target.startsWith(prefix))!.why;
    assert.match(why("whole pipeline")!, /^CPU-bound here: at 400 µs .* 2 cores allow 5,000 records\/s .* needs 9,000\/s, at most 222 µs per record/);
    assert.match(why("decoder alone")!, /^2 cores would allow 20,000 records\/s at 100 µs .* it ran at 0\.25× of that, so part of the time it waited/);
    assert.match(why("rules alone")!, /^2 cores would allow 6,667 records\/s at 300 µs .* it ran at 0\.60× of that, but each instance's process kept 1\.20 cores busy, its one JavaScript thread .*: bound by that thread/);
    assert.equal(why("sink alone"), undefined, "a met target needs no why");
    assert.match(why("decoder ≤ 150 MB")!, /^120 MB when ready, .*; 110 MB more under load/);
    assert.match(why("sink ≤ 150 MB")!, /^160 MB when ready, .*: over 150 MB before the first record; 120 MB more under load/);
    assert.equal(targets(r).find((t) => t.target.startsWith("whole pipeline"))!.why, undefined, "without the cores, no bound to say it against");
    assert.ok(reportMarkdown(r, SETTING).includes("| whole pipeline ≥ 0.6× the plain _bulk | 0.20× (3,000 vs 15,000) | **missed** | CPU-bound here:"));
  });

  it("says what a second instance bought: the rates side by side, and CPU-bound, bound by its thread or waiting, by how much of the cores' bound one instance used", () => {
    const t = (name: string, instances: number, perSecond: number, workCpuSeconds: number): Throughput => ({
      name,
      instances,
      input: 10_000,
      output: 10_000,
      perSecond,
      unit: "events/s",
      spanMs: 1000,
      usage: Array.from({ length: instances }, (_, i) => ({ service: `${name}#${i}`, peakRssMB: 100, cpuSeconds: workCpuSeconds / instances, workCpuSeconds: workCpuSeconds / instances })),
    });
    const r: BenchResult = {
      ...emptyResult(["stages", "scale"]),
      stages: [
        // Rules: 1 CPU s for 10,000 = 100 µs, 20,000/s allowed, ran 5,000 (0.25): waiting; two ran 9,000 at 120 µs (0.54).
        t("rules", 2, 9_000, 1.2),
        t("rules", 1, 5_000, 1),
        // Pipeline: 4 CPU s = 400 µs, 5,000/s allowed, ran 4,500 (0.90): CPU-bound; two ran 4,000 at 500 µs.
        t("pipeline", 1, 4_500, 4),
        t("pipeline", 2, 4_000, 5),
        // Decoder: 2.4 CPU s = 240 µs, 8,333/s allowed, ran 5,000 (0.60) with its process at 1.2 cores: bound by its thread.
        t("decoder", 1, 5_000, 2.4),
        t("decoder", 2, 6_000, 2.8),
        // Sink without a ×2 row: nothing to compare.
        t("sink", 1, 3_000, 1),
      ],
    };
    const rows = scaleRows(r, 2);
    assert.deepEqual(
      rows.map((x) => [x.name, x.instances, x.speedup.toFixed(2), x.oneOfBound.toFixed(2), x.manyOfBound.toFixed(2)]),
      [
        ["decoder", 2, "1.20", "0.60", "0.84"],
        ["rules", 2, "1.80", "0.25", "0.54"],
        ["pipeline", 2, "0.89", "0.90", "1.00"],
      ],
    );
    const decoder = rows.shift()!;
    assert.match(decoder.why, /^one instance used 0\.60 of what 2 cores allow \(its process kept 1\.20 cores busy: bound by its one JavaScript thread\); 2 used 0\.84/);
    assert.match(rows[0]!.why, /^one instance used 0\.25 of what 2 cores allow \(the rest it waited on its round trips\); 2 used 0\.54 \(CPU per record 100 → 120 µs/);
    assert.match(rows[1]!.why, /^one instance already used 0\.90 of what 2 cores allow: CPU-bound here, so more instances share the same cores \(CPU per record 400 → 500 µs/);
    const md = reportMarkdown(r, SETTING);
    assert.ok(md.includes("## Scale out"));
    assert.ok(md.includes("| rules | 5,000 | 9,000 (×2) | 1.80 | 0.25 | 0.54 | one instance used"), md);
    assert.ok(!reportMarkdown({ ...r, stages: r.stages.filter((x) => x.instances === 1) }, SETTING).includes("## Scale out"), "no section without a ×N row");
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { reportMarkdown, targets } from "../../scripts/bench/report.js";
import { runBench, type BenchOptions } from "../../scripts/bench/run.js";

// The bench machinery on a tiny fleet (npm run bench has the full run), so
// the command cannot rot: every phase runs against the real Kafka, Redis,
// Elasticsearch and service processes, every row of the report is there,
// and every event gave exactly its alerts. No figure is asserted: this
// machine's timings are not a test's business. Every process runs under the
// CPU profiler (--cpu-prof), and the collector follows the real engine for a
// short burst. The scale phase (the same code with two instances) and the
// shutdown phase (two `dockwatch up` starts; its checks are unit-tested in
// bench-phases.test.ts, Ctrl-C itself in shutdown.test.ts) are left to npm run
// bench to keep this short.

const profileDir = mkdtempSync(join(tmpdir(), "bench-test-"));
after(() => rmSync(profileDir, { recursive: true, force: true }));
const opts: BenchOptions = { events: 300, hosts: 4, seed: 5, rate: 0, latencyRate: 100, latencySeconds: 2, instances: 2, phases: ["limits", "stages", "pipeline", "latency", "collector"], keep: false, profileDir, collectorSeconds: 3 };

describe("bench (tiny run)", () => {
  it("measures every limit, stage, the pipeline, latency and the collector, profiles every process, and each event gives exactly its own alerts (plus correlation ones)", async () => {
    const log = (line: string) => process.env.BENCH_VERBOSE && process.stderr.write(`bench: ${line}\n`);
    const r = await runBench(opts, (line) => void log(line));
    const all = JSON.stringify({ problems: r.problems, limits: r.limits, stages: r.stages }, null, 1);
    assert.deepEqual(r.problems, [], all);
    for (const name of ["kafkajs passthrough", "Kafka ProducerPerformance", "Kafka ConsumerPerformance", "plain _bulk"]) {
      const l = r.limits.find((x) => x.name === name);
      assert.ok(l && l.output > 0, `${name}: ${all}`);
    }
    for (const name of ["decoder", "rules", "sink", "pipeline"]) {
      const s = r.stages.find((x) => x.name === name && x.instances === 1);
      // A rate needs two answers apart; a tiny run may index everything in one _bulk.
      assert.ok(s && s.output > 0, `${name}: ${all}`);
      assert.ok(s.check?.ok, `${name}: ${s.check?.detail}`);
      const own = s.usage.filter((u) => !u.shared);
      assert.ok(own.length > 0 && own.every((u) => u.peakRssMB > 0 && u.cpuSeconds > 0), `${name}: ${JSON.stringify(s.usage)}`);
      assert.deepEqual(s.usage.filter((u) => u.shared).map((u) => u.service), ["kafka", "elasticsearch", "redis"], "infra/local's processes counted beside the services");
    }
    // The pipeline, checked here too: each event's own alerts indexed (ids are unique in Elasticsearch), nothing but correlation alerts beside them.
    const own = new Set([...r.evidence.expected.values()].flat());
    assert.ok(own.size > 0);
    for (const id of own) assert.ok(r.evidence.pipelineIds?.has(id), `own alert ${id} not indexed`);
    const extra = [...r.evidence.pipelineIds!].filter((id) => !own.has(id));
    for (const id of extra) assert.ok(r.evidence.pipelineRuleOf?.has(id), `indexed ${id} is no alert the rules produced`);
    assert.ok(r.latency && r.latency.injected === 200 && r.latency.alerts > 0, JSON.stringify(r.latency));
    assert.equal(r.latency.toProduced.count, r.latency.alerts);
    assert.equal(r.latency.toIndexed.count, r.latency.alerts);
    // The collector published every event the engine streamed for the burst's containers, once.
    assert.ok(r.collector && r.collector.engineEvents > 0 && r.collector.check.ok, JSON.stringify(r.collector));
    assert.ok(r.collector.usage[0]!.peakRssMB > 0);
    // A profile of every process of every phase (written as each exits on SIGTERM), summarized.
    const phases = ["decoder ×1", "rules ×1", "sink ×1", "pipeline ×1", "latency", "collector"];
    for (const phase of phases) assert.ok(r.profiles.some((p) => p.phase === phase), `no profile of ${phase}: ${JSON.stringify(r.profiles.map((p) => p.phase))}`);
    for (const p of r.profiles) assert.ok(p.summary && p.summary.totalMs > 0 && p.summary.byFunction.length > 0, `${p.phase} ${p.service}: ${p.error}`);
    const md = reportMarkdown(r, { machine: { cpus: 2, cpuModel: "x", memoryGB: 1, loadAverage: [0, 0, 0], os: "x" }, versions: {}, command: "npm run bench" });
    for (const t of targets(r)) assert.ok(md.includes(`| ${t.target} |`), t.target);
    for (const row of ["| kafkajs passthrough |", "| plain _bulk |", "| decoder | 1 |", "| rules | 1 |", "| sink | 1 |", "| pipeline | 1 |", "| alert produced |", "| alert indexed |", "## Collector", "## Profiles"]) assert.ok(md.includes(row), row);
  });
});

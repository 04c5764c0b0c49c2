// npm run chaos: the whole stack under faults, with a report.
//   npm run chaos -- [--scenarios a,b] [--rate 50] [--load 30] [--outage 60] [--hostile 10000] [--oversize 20] [--engine-runs 60] [--settle 300] [--report-dir reports]
// Do not run it under flock: it takes /tmp/dockwatch-infra.lock itself (shared,
// and exclusively while it stops the shared Elasticsearch or dockerd).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "../../src/paths.js";
import { reportTable, writeReport } from "./report.js";
import { runChaos, scenarioNames } from "./run.js";
import type { ChaosOptions } from "./scenarios.js";

const { values } = parseArgs({
  options: {
    scenarios: { type: "string", default: scenarioNames().join(",") },
    rate: { type: "string", default: "50" },
    load: { type: "string", default: "30" },
    outage: { type: "string", default: "60" },
    hostile: { type: "string", default: "10000" },
    oversize: { type: "string", default: "20" },
    "engine-runs": { type: "string", default: "60" },
    settle: { type: "string", default: "300" },
    "lock-wait": { type: "string", default: "600" },
    "report-dir": { type: "string", default: resolve(repoRoot, "reports") },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(`usage: npm run chaos -- [options]

Runs the four services on the real Kafka, Elasticsearch, engine and a private
Redis, puts a known load on them (synthetic raw events injected to the raw
topic, and real containers on the engine), then, scenario by scenario, injects
a fault and compares Elasticsearch with the exact expected alert ids.
Writes <report-dir>/chaos.md, chaos.json and chaos-services.log (the services' output). Exit code 1 when a scenario fails.

  --scenarios LIST     comma-separated (default: all)
                       ${scenarioNames().join(", ")}
  --rate N             synthetic raw events per second under load (default 50)
  --load S             seconds of load around each fault (default 30)
  --outage S           seconds Elasticsearch / Redis / dockerd stay down (default 60)
  --hostile N          hostile messages per consumed topic (default 10000)
  --oversize N         oversize (valid, ~900 KB padded) records per topic (default 20)
  --engine-runs N      real containers (docker run --rm, one after another, until the load ends) per scenario (default 60)
  --settle S           seconds to wait for the expected state after a fault (default 300)
  --lock-wait S        seconds to wait for the exclusive infrastructure lock before
                       skipping the Elasticsearch and dockerd scenarios (default 600)
  --report-dir DIR     where the report goes (default reports/ at the repository root)

Stopping the shared Elasticsearch and dockerd takes /tmp/dockwatch-infra.lock
exclusively; do not wrap this command in flock.`);
  process.exit(0);
}

const num = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`chaos: --${name} must be a number >= 0, got ${v}`);
    process.exit(2);
  }
  return n;
};
const opts: ChaosOptions = {
  rate: num("rate", values.rate),
  loadSeconds: num("load", values.load),
  outageSeconds: num("outage", values.outage),
  hostile: num("hostile", values.hostile),
  oversize: num("oversize", values.oversize),
  engineRuns: num("engine-runs", values["engine-runs"]),
  settleSeconds: num("settle", values.settle),
  lockWaitSeconds: num("lock-wait", values["lock-wait"]),
};
const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} chaos: ${line}\n`);
// Interrupted: exit, so the spawned services, Redis and the events follower get their exit hooks (SIGTERM).
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => (log(`${signal}: stopping`), process.exit(130)));
const command = `npm run chaos -- ${process.argv.slice(2).join(" ")}`.trim();
mkdirSync(values["report-dir"]!, { recursive: true });
const servicesLog = join(values["report-dir"]!, "chaos-services.log");
writeFileSync(servicesLog, "");
const outcome = await runChaos(opts, values.scenarios!.split(",").map((s) => s.trim()).filter(Boolean), log, servicesLog, (results, run, startedAt) =>
  writeReport(values["report-dir"]!, results, opts, { run, command, startedAt, finishedAt: new Date() }),
);
const files = writeReport(values["report-dir"]!, outcome.results, opts, { run: outcome.run, command, startedAt: outcome.startedAt, finishedAt: outcome.finishedAt });
console.log(reportTable(outcome.results));
log(`report: ${files.markdown}, ${files.json}; the services' output: ${servicesLog}`);
process.exit(outcome.results.some((r) => r.status === "fail" || r.status === "error") ? 1 : 0);

// npm run bench: each stage against the limits of this machine, in one run, on the same data.
//   npm run bench -- [--events 40000] [--hosts 50] [--rate 0] [--phases limits,stages,…] [--cpu-prof] ...
// Takes /tmp/dockwatch-infra.lock shared (like the integration tests); do not wrap it in flock.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, totalmem, type } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Client } from "@elastic/elasticsearch";
import { infra, unique } from "@dockwatch/test-helpers";
import { repoRoot } from "../../src/paths.js";
import { acquireLock } from "../chaos/lock.js";
import { reportMarkdown, writeReport, type Setting } from "./report.js";
import { INPUTS, PHASES, runBench, type BenchOptions, type PhaseName } from "./run.js";
import { NotReady, preflight } from "./world.js";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "40000" },
    hosts: { type: "string", default: "50" },
    seed: { type: "string", default: "1" },
    rate: { type: "string", default: "0" },
    "latency-rate": { type: "string", default: "1000" },
    "latency-seconds": { type: "string", default: "30" },
    "latency-warmup": { type: "string", default: "5" },
    instances: { type: "string", default: "2" },
    input: { type: "string", default: "fleet" },
    "cpu-prof": { type: "boolean", default: false },
    "services-root": { type: "string" },
    "collector-seconds": { type: "string", default: "30" },
    "shutdown-records": { type: "string" },
    phases: { type: "string", default: PHASES.join(",") },
    keep: { type: "boolean", default: false },
    "report-dir": { type: "string", default: resolve(repoRoot, "reports") },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(`usage: npm run bench -- [options]

Measures each dockwatch stage against what Kafka and Elasticsearch allow on
this machine, in one run and on the same data (issue 13). A fleet simulator
pre-fills a raw topic with the records collectors of N virtual hosts would
publish; then, each as separate processes (node services/<name>/dist/main.js)
on the run's own topics, groups, Redis prefix and indices:

  limits     a kafkajs passthrough (consume, produce the same bytes acks=-1,
             commit after the ack), Kafka's ProducerPerformance and
             ConsumerPerformance (the project's Kafka jars, infra/local's
             cache), a plain _bulk of the rules stage's alert documents
             (1,000 per request, one client, sequential)
  stages     decoder alone (raw → decoded), rules alone with the shipped
             ruleset and Redis correlation (decoded → alerts), sink alone
             (alerts → Elasticsearch), each on the topic the stage before filled
  pipeline   decoder, rules and sink together (raw → Elasticsearch)
  latency    a fresh pipeline fed at --latency-rate events/s: event → alert
             produced and → alert indexed, p50/p95/p99
  scale      stages and pipeline again with --instances of each service
  collector  the real collector following the local Docker engine (DOCKER_HOST,
             default unix:///var/run/docker.sock) into the run's own raw topic
             while the bench runs containers of the local busybox image
             (labelled with the run; created, exec'ed, stopped, removed) for
             --collector-seconds: every engine event published once, records/s,
             delay, peak RSS and CPU
  shutdown   Ctrl-C on \`dockwatch up --no-infra --plain\` (what npm start
             supervises) on the run's own topics: SIGINT in full flow, then
             again idle; ms to exit, and each stage's committed offsets
             (the code of npm run measure:shutdown -w services/cli)

A stage, pipeline or scale phase reads a copy of its input that the bench
holds back, in one open Kafka transaction, until every instance of the phase
has joined its group: no instance starts alone, and "RSS at ready" is from
before any record.

Before the first phase that writes to Elasticsearch, the same alert
documents are indexed once, unmeasured: a JVM that has not indexed yet spends
several times the CPU per document while it compiles, and that would land on
whichever phase came first.

Writes <report-dir>/bench.md, bench.json and bench-services.log (the services'
output); with --cpu-prof also <report-dir>/prof/<phase>/<process>.cpuprofile
and a Profiles section (self time by place and the top functions of each
process). Needs Kafka, Elasticsearch, Redis and the Docker engine:
\`npm start\` or \`infra/local up\`. Exit code 1 when a phase failed or a
correctness check did not hold.

To profile each stage alone against its limit, on the engine's own lines:
  npm run bench -- --phases limits,stages --input fixtures --cpu-prof --events 30000
(decoder, rules and sink each run alone, each profiled; limits adds the
passthrough and the plain _bulk they are compared with). Before/after on
the same machine: build the other revision in a copy and run the same command
with --services-root <copy>, back to back.

  --events N           events pre-filled to the raw topic (default 40000)
  --hosts N            virtual hosts of the fleet (default 50)
  --seed N             the fleet's seed (default 1)
  --rate N             events/s while pre-filling; 0 = as fast as possible (default 0)
  --latency-rate N     events/s of the latency phase (default 1000)
  --latency-seconds S  how long the latency phase is measured (default 30)
  --latency-warmup S   seconds injected at the same rate before, not measured:
                       a fresh pipeline's warm-up (default 5; the report
                       shows every 5 s window, warm-up included)
  --instances N        instances per service in the scale phase (default 2)
  --input fleet|fixtures
                       what fills the raw topic: the fleet simulator (default), or
                       the engine-20.10 fixtures (libs/docker-event) cycled over
                       the hosts, each record with its own time
  --cpu-prof           run every service process of a phase (the collector's
                       too; not those of the shutdown phase's dockwatch up)
                       under V8's CPU profiler (node --cpu-prof); the rates
                       of a profiled run are lower
  --services-root DIR  run the built services (and dockwatch up) of another
                       checkout (default this one)
  --collector-seconds S  how long the collector phase makes engine activity (default 30)
  --shutdown-records N raw records produced to dockwatch up before the Ctrl-C in
                       full flow (default: --events, at most 20000)
  --phases LIST        comma-separated, of: ${PHASES.slice(0, 4).join(", ")},
                       ${PHASES.slice(4).join(", ")} (default: all; scale implies
                       stages and pipeline)
  --keep               leave the run's topics, indices and templates
  --report-dir DIR     where the report goes (default reports/ at the repository root)`);
  process.exit(0);
}

const num = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    console.error(`bench: --${name} must be an integer >= ${min}, got ${v}`);
    process.exit(2);
  }
  return n;
};
const phases = values.phases!.split(",").map((s) => s.trim()).filter(Boolean);
for (const p of phases) {
  if (!(PHASES as readonly string[]).includes(p)) {
    console.error(`bench: unknown phase ${p} (known: ${PHASES.join(", ")})`);
    process.exit(2);
  }
}
if (!(INPUTS as readonly string[]).includes(values.input!)) {
  console.error(`bench: --input must be one of ${INPUTS.join(", ")}, got ${values.input}`);
  process.exit(2);
}
const opts: BenchOptions = {
  events: num("events", values.events, 10),
  hosts: num("hosts", values.hosts, 1),
  seed: num("seed", values.seed, 0),
  rate: num("rate", values.rate, 0),
  latencyRate: num("latency-rate", values["latency-rate"], 1),
  latencySeconds: num("latency-seconds", values["latency-seconds"], 1),
  latencyWarmupSeconds: num("latency-warmup", values["latency-warmup"], 0),
  instances: num("instances", values.instances, 2),
  input: values.input as BenchOptions["input"],
  profileDir: values["cpu-prof"] ? resolve(values["report-dir"]!) : undefined,
  servicesRoot: values["services-root"] ? resolve(values["services-root"]) : undefined,
  collectorSeconds: num("collector-seconds", values["collector-seconds"], 1),
  shutdownRecords: values["shutdown-records"] === undefined ? undefined : num("shutdown-records", values["shutdown-records"], 1),
  phases: phases as PhaseName[],
  keep: values.keep!,
};

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} bench: ${line}\n`);
const run = unique("bench");
let cleanup: (() => Promise<void>) | undefined;
// Interrupted: stop the services and delete the run's topics and indices (at most 20 s), then exit;
// the exit hooks SIGTERM whatever is left (services, Kafka tools).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the run's services and deleting its topics and indices…`);
    const timer = setTimeout(() => (log("cleanup did not finish within 20 s; exiting"), process.exit(130)), 20_000);
    void (cleanup ? cleanup() : Promise.resolve())
      .catch((err: unknown) => log(`cleanup: ${(err as Error).message}`))
      .finally(() => {
        clearTimeout(timer);
        process.exit(130);
      });
  });
}


// Shared, like every integration test: waits while another run holds it exclusively (stopping a shared service).
log("waiting for the shared infrastructure lock (/tmp/dockwatch-infra.lock)…");
const lock = await acquireLock("shared");
try {
  await preflight(opts.servicesRoot);
} catch (err) {
  await lock.release();
  if (err instanceof NotReady) {
    console.error(`bench: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const versionOf = (pkg: string) => {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
};
const shell = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
};
const es = new Client({ node: infra.elasticsearchUrl });
const esNodes = (await es.nodes.info({ node_id: "_local", filter_path: "nodes.*.version" }).catch(() => undefined)) as { nodes?: Record<string, { version?: string }> } | undefined;
const esVersion = Object.values(esNodes?.nodes ?? {})[0]?.version ?? "unknown";
await es.close();
const redisUrl = new URL(infra.redisUrl);
const setting: Setting = {
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", memoryGB: totalmem() / 2 ** 30, loadAverage: loadavg(), os: `${type()} ${release()}, ${(freemem() / 2 ** 30).toFixed(1)} GB free at start` },
  versions: {
    dockwatch: shell("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"]),
    node: process.version,
    kafkajs: versionOf("kafkajs"),
    "Kafka (broker and tools)": process.env.KAFKA_VERSION ?? "4.4.0",
    Elasticsearch: esVersion,
    Redis: /redis_version:(\S+)/.exec(shell("redis-cli", ["-h", redisUrl.hostname, "-p", redisUrl.port || "6379", "INFO", "server"]))?.[1] ?? "unknown",
    "@elastic/elasticsearch": versionOf("@elastic/elasticsearch"),
    "Docker engine": shell("docker", ["version", "--format", "{{.Server.Version}}"]),
    ...(opts.servicesRoot ? { "services run from": `${opts.servicesRoot} at ${shell("git", ["-C", opts.servicesRoot, "rev-parse", "--short", "HEAD"])}` } : {}),
  },
  command: process.argv.length > 2 ? `npm run bench -- ${process.argv.slice(2).join(" ")}` : "npm run bench",
};

const dir = values["report-dir"]!;
mkdirSync(dir, { recursive: true });
let exitCode = 0;
try {
  log(`run ${run}: ${opts.events.toLocaleString("en")} events from ${opts.hosts} hosts; phases ${opts.phases.join(", ")}`);
  const result = await runBench(opts, log, run, (fn) => (cleanup = fn));
  writeFileSync(join(dir, "bench-services.log"), result.output.map((l) => `${l}\n`).join(""));
  const files = writeReport(dir, result, setting);
  console.log(reportMarkdown(result, setting));
  log(`report: ${files.markdown}, ${files.json}`);
  const failedChecks = [...result.limits, ...result.stages, ...(result.collector ? [result.collector] : []), ...(result.shutdown?.rounds ?? [])].filter((t) => t.check && !t.check.ok);
  if (result.problems.length || failedChecks.length) exitCode = 1;
} finally {
  await lock.release();
}
process.exit(exitCode);

// How many alerts one host's healthchecks cost: N containers with a
// healthcheck every few seconds, on the real stack (engine, Kafka, Redis,
// Elasticsearch, the four services), counted for a while and scaled to an
// hour. Run once with the shipped ruleset and once with healthcheck
// recognition switched off (rule 130909 disabled), which is what the ruleset
// gives probes without it.
//   npm run measure:healthchecks -w services/cli -- [--containers 10] [--interval 5s] [--seconds 120]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack } from "../test/integration/stack.js";

const { values } = parseArgs({
  options: {
    containers: { type: "string", default: "10" },
    interval: { type: "string", default: "5s" },
    seconds: { type: "string", default: "120" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  console.log("usage: healthcheck-alerts [--containers 10] [--interval 5s] [--seconds 120]\nCounts the alerts of N healthchecked containers with and without healthcheck recognition, per hour.");
  process.exit(0);
}
const containers = Number(values.containers);
const seconds = Number(values.seconds);

async function measure(label: string, env: Record<string, string>): Promise<Map<string, number>> {
  const run = unique("hc");
  const stack = await startStack({ run, env });
  const names = Array.from({ length: containers }, (_, i) => `${run}-c${i}`);
  try {
    const ids = await Promise.all(names.map((n) => docker("run", "-d", "--health-cmd", "true", "--health-interval", values.interval!, "--name", n, busyboxImage(), "sleep", "3600")));
    // Count from a moment after every container turned healthy (a one-time alert each): the steady state is what an hour is made of.
    const healthy = async () => (await Promise.all(names.map((n) => docker("inspect", "--format", "{{.State.Health.Status}}", n)))).every((s) => s === "healthy");
    await waitFor("every container healthy", healthy, 120_000, 500);
    await new Promise((r) => setTimeout(r, 3_000));
    const from = new Date().toISOString();
    process.stderr.write(`${label}: ${containers} containers probed every ${values.interval} for ${seconds}s…\n`);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const to = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5_000)); // what happened in the window reaches Elasticsearch
    const hits = await stack.alertsWhere("data.docker.Actor.ID", ids, 10_000);
    const byRule = new Map<string, number>();
    for (const { doc } of hits) {
      if (doc.timestamp < from || doc.timestamp >= to) continue;
      byRule.set(`${doc.rule.id} (level ${doc.rule.level})`, (byRule.get(`${doc.rule.id} (level ${doc.rule.level})`) ?? 0) + 1);
    }
    return byRule;
  } finally {
    await Promise.all(names.map((n) => docker("rm", "-f", n).catch(() => undefined)));
    await stack.stop();
  }
}

const perHour = (n: number) => Math.round((n * 3600) / seconds);
function report(label: string, counts: Map<string, number>): void {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`${label}: ${total} alerts in ${seconds}s = ${perHour(total)} per hour`);
  for (const [rule, n] of [...counts].sort()) console.log(`  ${rule}: ${n} (${perHour(n)} per hour)`);
}

const localDir = mkdtempSync(join(tmpdir(), "dockwatch-hc-rules-"));
writeFileSync(join(localDir, "no-healthcheck-recognition.yml"), "overrides:\n  - { id: 130909, disabled: true }\n");
try {
  const without = "without healthcheck recognition (130909 disabled)";
  report(without, await measure(without, { RULES_LOCAL_DIR: localDir }));
  report("shipped ruleset", await measure("shipped ruleset", {}));
} finally {
  rmSync(localDir, { recursive: true, force: true });
}

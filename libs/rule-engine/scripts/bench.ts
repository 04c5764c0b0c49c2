// Events per second of the pure match function with the full shipped ruleset
// (and of match + alert building), on a mix of events that reach every rule.
// Writes reports/rules-bench.md. Usage: npm run bench -w libs/rule-engine [-- N]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { parse } from "yaml";
import { SHIPPED_RULES_DIR, chainAlerts, loadRuleset, matchEvent, type AlertContext } from "../src/index.js";
import { decodedEvent, type EventSketch } from "../src/testing.js";

const total = Number(process.argv[2] ?? 500_000);
const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });
const { cases } = parse(readFileSync(new URL("../test/fixtures/docker-rules.yml", import.meta.url), "utf8")) as {
  cases: { positive: EventSketch; negative: EventSketch }[];
};
const events = cases.flatMap((c) => [decodedEvent(c.positive), decodedEvent(c.negative)]);
const ctx: AlertContext = {
  manager: { name: "m" },
  cluster: { name: "c", node: "n" },
  location: "Wazuh-Docker",
  version: "bench",
  ruleset: ruleset.hash,
  now: new Date(),
  utcOffsetMinutes: 0,
};

function run(label: string, fn: (i: number) => unknown): { label: string; perSecond: number; seconds: number } {
  for (let i = 0; i < 20_000; i++) fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < total; i++) fn(i);
  const seconds = (performance.now() - start) / 1000;
  return { label, perSecond: total / seconds, seconds };
}

const results = [
  run("matchEvent (rule walk only)", (i) => matchEvent(events[i % events.length]!, ruleset)),
  run("matchEvent + chain alert (interpolation, alert document)", (i) => {
    const e = events[i % events.length]!;
    return chainAlerts(e, matchEvent(e, ruleset), 3, ctx);
  }),
];

const lines = [
  "# Rules: match function benchmark",
  "",
  `- command: \`npm run bench -w libs/rule-engine -- ${total}\``,
  `- date: ${new Date().toISOString()}, node ${process.version}, ${cpus()[0]?.model ?? "cpu"} (single thread)`,
  `- ruleset ${ruleset.hash}: ${ruleset.rules.size} rules (RE2 regexes), ${events.length} distinct events (each rule's positive and negative fixture), ${total} evaluations per row`,
  "",
  "| what | events/s | seconds |",
  "|---|---:|---:|",
  ...results.map((r) => `| ${r.label} | ${Math.round(r.perSecond).toLocaleString("en-US")} | ${r.seconds.toFixed(2)} |`),
  "",
];
const report = lines.join("\n");
mkdirSync(new URL("../../../reports/", import.meta.url), { recursive: true });
writeFileSync(new URL("../../../reports/rules-bench.md", import.meta.url), report);
process.stdout.write(report);

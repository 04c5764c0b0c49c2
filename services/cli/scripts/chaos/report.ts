// The chaos report: a markdown table (reports/chaos.md) and the full results (reports/chaos.json). Pure but for writing.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChaosOptions, ScenarioResult } from "./scenarios.js";

const seconds = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);

export function reportTable(results: ScenarioResult[]): string {
  const rows = [
    "| scenario | result | expected alerts | indexed | missing | duplicated | hostile sent | in DLQ | recovery time |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    if (r.status === "skipped") {
      rows.push(`| ${r.scenario} | skipped | – | – | – | – | – | – | – |`);
      continue;
    }
    const hostile = r.hostileSent + r.oversize.sent;
    const inDlq = r.hostileInDlq + r.oversize.deadLettered;
    rows.push(`| ${r.scenario} | ${r.status} | ${r.expected} | ${r.indexed} | ${r.missing} | ${r.duplicated} | ${hostile || "–"} | ${hostile ? inDlq : "–"} | ${seconds(r.recoveryMs)} |`);
  }
  return rows.join("\n");
}

export function reportMarkdown(results: ScenarioResult[], opts: ChaosOptions, meta: { run: string; command: string; startedAt: Date; finishedAt: Date }): string {
  const lines = [
    "# dockwatch chaos report",
    "",
    `Run \`${meta.run}\`, ${meta.startedAt.toISOString()} – ${meta.finishedAt.toISOString()}; command: \`${meta.command}\`.`,
    `Options: ${Object.entries(opts).map(([k, v]) => `${k}=${String(v)}`).join(", ")}.`,
    "",
    reportTable(results),
    "",
    "Expected alerts are computed in the harness (decodeEvent + the rule engine, in process) for every acknowledged injected record and every engine event of the run's containers; indexed = expected ids found in the stack's alias; duplicated = an id in two indices or one logical alert (source event + rule) under two ids. Hostile: every message must be dead-lettered; an oversize (valid, padded) record counts as handled when its alerts are indexed or it is dead-lettered, and its dead letters are in the DLQ column. Recovery time: from the end of the fault to the moment the expected state was complete (polled every second).",
    "",
    "## Notes per scenario",
    "",
  ];
  for (const r of results) {
    const details = [
      ...r.notes,
      ...(r.oversize.sent ? [`oversize: ${r.oversize.sent} sent, ${r.oversize.alerted} alerted, ${r.oversize.deadLettered} dead-lettered, ${r.oversize.lost} lost`] : []),
      ...(Object.keys(r.dlqReasons).length ? [`DLQ reasons: ${Object.entries(r.dlqReasons).map(([k, n]) => `${k} ×${n}`).join("; ")}`] : []),
      ...(Object.keys(r.unexpected).length ? [`alerts not in the expectation (by rule): ${Object.entries(r.unexpected).map(([k, n]) => `${k} ×${n}`).join(", ")}`] : []),
      ...(r.examples.missing.length ? [`missing, e.g.: ${r.examples.missing.join(", ")}`] : []),
      ...(r.examples.duplicated.length ? [`duplicated, e.g.: ${r.examples.duplicated.join("; ")}`] : []),
      ...(r.examples.notInDlq.length ? [`hostile not in the DLQ, e.g.: ${r.examples.notInDlq.join(", ")}`] : []),
    ];
    lines.push(`- **${r.scenario}** (${r.status})${details.length ? ":" : ""}`);
    for (const d of details) lines.push(`  - ${d}`);
  }
  return lines.join("\n") + "\n";
}

export function writeReport(dir: string, results: ScenarioResult[], opts: ChaosOptions, meta: { run: string; command: string; startedAt: Date; finishedAt: Date }): { markdown: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const markdown = join(dir, "chaos.md");
  const json = join(dir, "chaos.json");
  writeFileSync(markdown, reportMarkdown(results, opts, meta));
  writeFileSync(json, JSON.stringify({ ...meta, options: opts, results }, null, 2) + "\n");
  return { markdown, json };
}

import { GROUPS, TOPICS, alertIndexNames } from "@dockwatch/contracts";
import type { Client } from "@elastic/elasticsearch";
import type { Admin } from "kafkajs";
import { consumerLag } from "../lag.js";
import { THROUGHPUT_COUNTER, parseMetrics, rate } from "../metrics.js";
import { DEFAULT_PORTS, SERVICES } from "../services.js";

export interface Snapshot {
  at: number;
  counters: Map<string, number | undefined>;
  ready: Map<string, boolean>;
  /** What a running service does not do right now, though it is ready (rules without Redis: correlation paused). */
  degraded: Map<string, string[]>;
  /** A running service that is not ready: its /readyz body's reasons (Elasticsearch refusing writes). */
  notReady: Map<string, string[]>;
  lag: Array<{ groupId: string; lag: number | undefined }>;
  alerts: Array<{ timestamp: string; level: number; description: string }>;
  alertCount: number | undefined;
}

/** One look at every part: service readiness and counters, consumer lag, newest alerts. */
export async function takeSnapshot(
  admin: Admin | undefined,
  es: Client | undefined,
  topics: { raw: string; decoded: string; alerts: string } = TOPICS,
  ports = DEFAULT_PORTS,
  /** The alias the sink's indices join (SINK_INDEX_PREFIX). */
  alertsAlias = alertIndexNames().alias,
): Promise<Snapshot> {
  const groupTopics: Array<[string, string]> = [
    [GROUPS.decoder, topics.raw],
    [GROUPS.rules, topics.decoded],
    [GROUPS.sink, topics.alerts],
  ];
  const counters = new Map<string, number | undefined>();
  const ready = new Map<string, boolean>();
  const degraded = new Map<string, string[]>();
  const notReady = new Map<string, string[]>();
  await Promise.all(
    SERVICES.map(async (name) => {
      const base = `http://127.0.0.1:${ports[name]}`;
      const answer = await fetch(`${base}/readyz`).then(
        async (r) => ({ ok: r.status === 200, body: await r.text() }),
        () => undefined,
      );
      ready.set(name, answer?.ok ?? false);
      if (answer && !answer.ok) notReady.set(name, answer.body.split("\n").slice(1).filter(Boolean));
      const metrics = await fetch(`${base}/metrics`).then((r) => r.text().then(parseMetrics), () => undefined);
      counters.set(name, metrics?.get(THROUGHPUT_COUNTER[name]!) ?? (metrics ? 0 : undefined));
      if (metrics) degraded.set(name, degradations(name, metrics));
    }),
  );
  const lag = await Promise.all(
    groupTopics.map(async ([groupId, topic]) => ({
      groupId,
      lag: admin ? await consumerLag(admin, groupId, topic).then((l) => l.lag, () => undefined) : undefined,
    })),
  );
  let alerts: Snapshot["alerts"] = [];
  let alertCount: number | undefined;
  if (es) {
    try {
      // A summary must not hang on a slow cluster: a short timeout, then "-".
      const res = await es.search({ index: alertsAlias, size: 5, sort: [{ timestamp: "desc" }], track_total_hits: true }, { requestTimeout: 2000 });
      alerts = res.hits.hits.map((h) => {
        const s = h._source as { timestamp: string; rule: { level: number; description: string } };
        return { timestamp: s.timestamp, level: s.rule.level, description: s.rule.description };
      });
      const total = res.hits.total;
      alertCount = typeof total === "number" ? total : total?.value;
    } catch {
      // no alerts index yet, or Elasticsearch down: shown as "-"
    }
  }
  return { at: Date.now(), counters, ready, notReady, degraded, lag, alerts, alertCount };
}

/** What a service's metrics say it cannot do right now (pure). */
export function degradations(service: string, metrics: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [metric, what] of DEGRADATION_GAUGES[service] ?? []) if (metrics.get(metric) === 0) out.push(what);
  return out;
}

/** Gauges that are 0 while a service runs degraded, and what that means. */
const DEGRADATION_GAUGES: Record<string, Array<[string, string]>> = {
  rules: [["dockwatch_rules_correlation_available", "correlation unavailable (Redis unreachable; per-event alerts go on)"]],
};

/** The live summary block (pure, so it can be tested). */
export function renderSummary(previous: Snapshot | undefined, current: Snapshot): string {
  const lines = ["dockwatch — Ctrl-C stops the services (infrastructure keeps running)", ""];
  lines.push("service    ready  events/s");
  for (const name of SERVICES) {
    const r = rate(previous?.counters.get(name), current.counters.get(name), current.at - (previous?.at ?? current.at));
    const degraded = current.degraded.get(name) ?? [];
    lines.push(`${name.padEnd(10)} ${current.ready.get(name) ? "yes  " : "no   "}  ${r.toFixed(1).padStart(8)}${degraded.length > 0 ? `  degraded: ${degraded.join("; ")}` : ""}`);
  }
  lines.push("", "consumer group       lag");
  for (const { groupId, lag } of current.lag) lines.push(`${groupId.padEnd(20)} ${lag === undefined ? "-" : String(lag)}`);
  lines.push("", `alerts in Elasticsearch: ${current.alertCount ?? "-"}   latest:`);
  if (current.alerts.length === 0) lines.push("  (none yet: try `docker run -d --name apache $(cat infra/.local/busybox-image) sleep 300`)");
  for (const a of current.alerts) lines.push(`  ${a.timestamp}  level ${String(a.level).padStart(2)}  ${a.description}`);
  return lines.join("\n");
}

/** Parses Prometheus text exposition (our /metrics) into name -> value. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || !line.trim()) continue;
    const [name, value] = line.trim().split(/\s+/);
    if (name && value !== undefined && !Number.isNaN(Number(value))) values.set(name, Number(value));
  }
  return values;
}

/** Per-second rate between two samples of a counter. */
export function rate(previous: number | undefined, current: number | undefined, elapsedMs: number): number {
  if (previous === undefined || current === undefined || elapsedMs <= 0) return 0;
  return Math.max(0, ((current - previous) * 1000) / elapsedMs);
}

/** The counter that best says "work done" for each service. */
export const THROUGHPUT_COUNTER: Record<string, string> = {
  collector: "dockwatch_collector_events_total",
  decoder: "dockwatch_decoder_records_in_total",
  rules: "dockwatch_rules_records_in_total",
  sink: "dockwatch_sink_alerts_indexed_total",
};

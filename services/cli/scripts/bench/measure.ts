// What the bench reads to measure: a process's peak RSS and CPU time from
// /proc, a consumer group's progress, a topic's records with their Kafka
// timestamps, the ids of an index's documents, and percentiles. Only reads; the phases (run.ts) act.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@elastic/elasticsearch";
import type { Admin, IHeaders, Kafka } from "kafkajs";

let ticks: number | undefined;
/** Clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux almost always). */
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

export interface ProcSample {
  /** VmHWM: the peak resident set since the process started, bytes. */
  peakRssBytes: number;
  /** utime + stime, seconds. */
  cpuSeconds: number;
}

/** The process's peak RSS and CPU so far; undefined once it is gone. */
export function procSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status);
    // Fields after the command (which may hold spaces): state is field 3, utime 14, stime 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(rest[11]) + Number(rest[12])) / clockTicks();
    return { peakRssBytes: Number(hwm?.[1] ?? 0) * 1024, cpuSeconds: cpu };
  } catch {
    return undefined;
  }
}

/** The shared processes infra/local runs (its pid files), by name: the CPU the stages make them spend counts too. */
export const SHARED = ["kafka", "elasticsearch", "redis"] as const;

/** CPU seconds so far of each shared process that infra/local started and is alive (none: an outside stack). */
export function sharedCpu(root: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of SHARED) {
    try {
      const pid = Number(readFileSync(join(root, "infra/.local/run", `${name}.pid`), "utf8").trim());
      const s = pid > 0 ? procSample(pid) : undefined;
      // Elasticsearch's pid is its launcher's: the node is a child process.
      if (s) out.set(name, [pid, ...childrenOf(pid)].reduce((sum, p) => sum + (procSample(p)?.cpuSeconds ?? 0), 0));
    } catch {
      // Not started by infra/local: not measured.
    }
  }
  return out;
}

/** The pids whose parent is `pid` (from /proc/<pid>/stat of every process). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** What each shared process spent between two sharedCpu() readings, as usage rows. */
export function sharedUsage(before: Map<string, number>, after: Map<string, number>): Array<{ service: string; peakRssMB: number; cpuSeconds: number; workCpuSeconds: number; shared: true }> {
  return [...after].filter(([name]) => before.has(name)).map(([name, cpu]) => ({ service: name, peakRssMB: 0, cpuSeconds: cpu, workCpuSeconds: cpu - before.get(name)!, shared: true }));
}

/** Sum over partitions of the log end offsets (records ever written: the bench's topics are never compacted nor trimmed). */
export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/** How many records of `topic` the group has committed, and how many there are. */
export async function groupProgress(admin: Admin, groupId: string, topic: string): Promise<{ committed: number; end: number }> {
  const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map(committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  let done = 0;
  let end = 0;
  for (const p of ends) {
    end += Number(p.high) - Number(p.low);
    const c = byPartition.get(p.partition) ?? -1;
    done += c < 0 ? 0 : c - Number(p.low);
  }
  return { committed: done, end };
}

export interface TopicRecord {
  partition: number;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Kept with the values (keepValues). */
  headers?: IHeaders;
}

/** Every record of `topic` (its current end), read with a throwaway group; `keepValues` false keeps only the timestamps (and the partitions). */
export async function readTopic(kafka: Kafka, topic: string, group: string, keepValues: boolean, timeoutMs = 300_000): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const expected = await topicEnd(admin, topic).finally(() => admin.disconnect());
  const out: TopicRecord[] = [];
  if (expected === 0) return out;
  const consumer = kafka.consumer({ groupId: group, maxBytes: 32 * 1024 * 1024, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic}: ${out.length} of ${expected} records within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const kept = keepValues ? { key: m.key, value: m.value, headers: m.headers ?? {} } : { key: null, value: null };
            out.push({ partition: batch.partition, timestampMs: Number(m.timestamp), ...kept });
          }
          if (out.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** The ids of every document of `index` (search_after, 5,000 a page). */
export async function indexedIds(es: Client, index: string): Promise<string[]> {
  await es.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const ids: string[] = [];
  let after: unknown[] | undefined;
  for (;;) {
    const res = await es.search({ index, ignore_unavailable: true, allow_no_indices: true, size: 5000, _source: false, sort: [{ _index: "asc" }, { id: "asc" }], ...(after ? { search_after: after } : {}) });
    for (const h of res.hits.hits) ids.push(h._id!);
    if (res.hits.hits.length < 5000) return ids;
    after = res.hits.hits[res.hits.hits.length - 1]!.sort as unknown[];
  }
}

/** Nearest-rank percentile of an unsorted list (undefined when empty). */
export function percentile(values: number[], p: number, sorted = [...values].sort((a, b) => a - b)): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export interface Percentiles {
  count: number;
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
}

/** p50, p95, p99 (nearest rank) and the largest of a list. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: values.length, p50: percentile(values, 50, sorted), p95: percentile(values, 95, sorted), p99: percentile(values, 99, sorted), max: sorted[sorted.length - 1] };
}

/** Records per second from the first to the last of `times` (ms): count−1 intervals over the span. */
export function rateOf(count: number, times: number[]): { perSecond: number | undefined; spanMs: number } {
  if (times.length < 2) return { perSecond: undefined, spanMs: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const t of times) {
    if (t < min) min = t;
    if (t > max) max = t;
  }
  const spanMs = max - min;
  return { perSecond: spanMs > 0 ? ((count - 1) * 1000) / spanMs : undefined, spanMs };
}

/**
 * Records per second from acknowledgements that come a request at a time
 * (every document of one _bulk acknowledged at the same moment): the
 * documents acknowledged after the first answer over the time from the first
 * answer to the last. Undefined with a single answer.
 */
export function ackedRate(times: number[]): { perSecond: number | undefined; spanMs: number } {
  if (times.length === 0) return { perSecond: undefined, spanMs: 0 };
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[0]!;
  const spanMs = sorted[sorted.length - 1]! - first;
  const after = sorted.filter((t) => t > first).length;
  return { perSecond: spanMs > 0 ? (after * 1000) / spanMs : undefined, spanMs };
}

/** One latency sample: when the event happened, and how long until it was produced or indexed. */
export interface LatencySample {
  eventMs: number;
  latencyMs: number;
}

/** Percentiles of consecutive windows of `windowMs` of event time from `fromMs`: warm-up, steady state, a backlog building up. */
export function latencyWindows(samples: LatencySample[], fromMs: number, windowMs: number): Array<{ fromSeconds: number; latency: Percentiles }> {
  const windows = new Map<number, number[]>();
  for (const s of samples) {
    const w = Math.max(0, Math.floor((s.eventMs - fromMs) / windowMs));
    (windows.get(w) ?? windows.set(w, []).get(w)!).push(s.latencyMs);
  }
  return [...windows].sort((a, b) => a[0] - b[0]).map(([w, values]) => ({ fromSeconds: (w * windowMs) / 1000, latency: percentiles(values) }));
}

import type { Component, Logger, Metrics } from "@dockwatch/runtime";
import type { Client } from "@elastic/elasticsearch";
import { INDEX_PREFIX } from "./bulk.js";
import { describeEsError } from "./elasticsearch.js";

const DAY_MS = 86_400_000;

/** The UTC day of a daily index name (`<prefix>YYYY.MM.DD`), or undefined for any other name. */
export function indexDay(name: string, prefix = INDEX_PREFIX): Date | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const m = /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(name.slice(prefix.length));
  if (!m) return undefined;
  const day = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  // Reject 2025.02.31 and the like, which Date.UTC would roll over.
  return day.getUTCDate() === Number(m[3]) && day.getUTCMonth() === Number(m[2]) - 1 ? day : undefined;
}

/**
 * The daily indices to delete: those whose whole day ended more than
 * `retentionDays` days before `now`. With 30 days at 2025-03-31T10:00Z, the
 * index of 2025-03-01 (ended 2025-03-02T00:00Z, 29.4 days ago) is kept and
 * 2025-02-28 (30.4 days) goes. Names that are not daily indices are never touched.
 */
export function indicesToDelete(names: string[], now: Date, retentionDays: number, prefix = INDEX_PREFIX): string[] {
  if (retentionDays <= 0) return [];
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  return names
    .filter((name) => {
      const day = indexDay(name, prefix);
      return day !== undefined && day.getTime() + DAY_MS <= cutoff;
    })
    .sort();
}

export interface RetentionOptions {
  es: Client;
  retentionDays: number;
  intervalMs: number;
  logger: Logger;
  metrics?: Metrics;
  prefix?: string;
  now?: () => Date;
}

/** One pass: lists the daily indices, deletes the expired ones, logs each; returns the deleted names. */
export async function applyRetention(opts: RetentionOptions): Promise<string[]> {
  const prefix = opts.prefix ?? INDEX_PREFIX;
  const rows = await opts.es.cat.indices({ index: `${prefix}*`, h: "index", format: "json", expand_wildcards: ["open", "closed"] });
  const names = (rows as Array<{ index?: string }>).map((r) => r.index ?? "").filter(Boolean);
  const expired = indicesToDelete(names, (opts.now ?? (() => new Date()))(), opts.retentionDays, prefix);
  for (const index of expired) {
    await opts.es.indices.delete({ index, ignore_unavailable: true });
    opts.logger.info({ index, retentionDays: opts.retentionDays }, `retention: deleted ${index} (older than ${opts.retentionDays} days)`);
    opts.metrics?.inc("retention_deleted_indices_total", "daily indices deleted by retention");
  }
  return expired;
}

/**
 * ALERT_RETENTION_DAYS as a component: a pass at start, then every
 * `intervalMs`. A failed pass is logged and tried again next time; it never
 * stops the sink (indexing matters more than cleaning up).
 */
export function retentionComponent(opts: RetentionOptions): Component {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = applyRetention(opts).catch((err: unknown) => opts.logger.warn(`retention: pass failed (${describeEsError(err)}); next try in ${opts.intervalMs} ms`));
    return running;
  };
  return {
    name: "retention",
    async start() {
      if (opts.retentionDays <= 0) return;
      opts.logger.info(`retention: deleting daily indices older than ${opts.retentionDays} days, checked every ${opts.intervalMs} ms`);
      void pass();
      timer = setInterval(() => void pass(), opts.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

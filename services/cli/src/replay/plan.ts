// The pure parts of `dockwatch replay`: when to start, which offsets to read,
// how far along we are. The Kafka side lives in commands/replay.ts.

export class ReplayUsageError extends Error {
  override name = "ReplayUsageError";
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: a duration ago (`90s`, `15m`, `2h`, `7d`, `1w`) or an absolute
 * time that Date understands (ISO 8601: `2026-11-28T13:00:00Z`, `2026-11-28`).
 */
export function parseSince(text: string, now: Date): Date {
  const relative = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  // Only things that look like a date: Date.parse accepts odd inputs such as "1".
  if (/^\d{4}-\d\d-\d\d/.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new ReplayUsageError(`--since: expected a duration ago (15m, 2h, 7d) or an ISO 8601 time (2026-11-28T13:00:00Z), got "${text}"`);
}

export interface PartitionRange {
  partition: number;
  /** First offset to read (the first record at or after --since). */
  start: bigint;
  /** The partition's end offset when the replay began: records from here on are not replayed. */
  end: bigint;
}

export interface ReplayPlan {
  ranges: PartitionRange[];
  total: number;
}

/**
 * Joins the offsets at --since with the end offsets captured at start. A
 * partition with no record after --since gets an empty range.
 */
export function planReplay(
  startOffsets: readonly { partition: number; offset: string }[],
  endOffsets: readonly { partition: number; high: string }[],
): ReplayPlan {
  const starts = new Map(startOffsets.map((s) => [s.partition, BigInt(s.offset)]));
  const ranges = endOffsets
    .map(({ partition, high }) => {
      const end = BigInt(high);
      const at = starts.get(partition) ?? end;
      // The end was read first: a record produced in between is beyond it.
      return { partition, start: at < end ? at : end, end };
    })
    .sort((a, b) => a.partition - b.partition);
  const total = ranges.reduce((sum, r) => sum + Number(r.end - r.start), 0);
  return { ranges, total };
}

/** Tracks which partitions have reached their end offset. */
export class ReplayCursor {
  private readonly remaining = new Map<number, bigint>();

  constructor(plan: ReplayPlan) {
    for (const r of plan.ranges) if (r.end > r.start) this.remaining.set(r.partition, r.end);
  }

  /** Whether this record is inside the plan (before its partition's end offset). */
  inRange(partition: number, offset: string): boolean {
    const end = this.remaining.get(partition);
    return end !== undefined && BigInt(offset) < end;
  }

  /** Marks a record done; true when its partition has just reached its end. */
  done(partition: number, offset: string): boolean {
    const end = this.remaining.get(partition);
    if (end === undefined || BigInt(offset) + 1n < end) return false;
    this.remaining.delete(partition);
    return true;
  }

  get finished(): boolean {
    return this.remaining.size === 0;
  }
}

export function progressLine(done: number, total: number): string {
  const pct = total === 0 ? 100 : (done / total) * 100;
  return `replay: ${done}/${total} records (${pct.toFixed(1)}%)`;
}

/** Progress lines: at most one per `everyMs`, and always the last one. */
export class ReplayProgress {
  private done = 0;
  private lastAt = -Infinity;

  constructor(
    private readonly total: number,
    private readonly write: (line: string) => void,
    private readonly everyMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  advance(n: number): void {
    this.done += n;
    const now = this.clock();
    if (this.done >= this.total || now - this.lastAt >= this.everyMs) {
      this.lastAt = now;
      this.write(progressLine(this.done, this.total));
    }
  }

  get count(): number {
    return this.done;
  }
}

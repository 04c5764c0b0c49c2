// How far this rules instance has processed its input, in event time: the
// watermark the silent-host sweep judges last-seen times against (hosts.ts).
// Fed by the consumer's own instrumentation events (kafkajs FETCH,
// START_BATCH_PROCESS, END_BATCH_PROCESS) and by the records the stage
// transforms; pure state with an injected clock, so unit tests drive it.
//
// Per partition: caught up (its last batch ended at the high watermark) or
// behind (a batch is in flight or held, or the last one ended short of the
// high watermark). The watermark is now when every partition this instance
// consumes is caught up; otherwise the oldest "newest event time processed"
// among the partitions behind. Undefined (no judgement possible) when the
// consumer has not fetched for `staleAfterMs`: Kafka unreachable or the
// consumer gone, so heartbeats may be waiting where nobody reads them.

export interface PipelineProgress {
  fetched(): void;
  batchStarted(partition: number): void;
  batchEnded(partition: number, offsetLag: string): void;
  /** A record of `partition` was transformed; `eventTimeMs` is its event's time. */
  processed(partition: number, eventTimeMs: number): void;
  /** The partitions this instance owns now (a rebalance): state of the others is dropped. */
  assigned(partitions: number[]): void;
  watermarkMs(): number | undefined;
}

interface PartitionState {
  behind: boolean;
  newestEventMs: number | undefined;
}

export function createPipelineProgress(opts: { staleAfterMs: number; now?: () => number }): PipelineProgress {
  const now = opts.now ?? Date.now;
  const partitions = new Map<number, PartitionState>();
  let lastFetchMs: number | undefined;
  const state = (p: number) => {
    let s = partitions.get(p);
    if (!s) partitions.set(p, (s = { behind: false, newestEventMs: undefined }));
    return s;
  };
  return {
    fetched: () => void (lastFetchMs = now()),
    batchStarted: (p) => void (state(p).behind = true),
    batchEnded: (p, offsetLag) => void (state(p).behind = BigInt(offsetLag || "0") > 0n),
    processed(p, eventTimeMs) {
      const s = state(p);
      if (s.newestEventMs === undefined || eventTimeMs > s.newestEventMs) s.newestEventMs = eventTimeMs;
    },
    assigned(owned) {
      for (const p of [...partitions.keys()]) if (!owned.includes(p)) partitions.delete(p);
    },
    watermarkMs() {
      const t = now();
      if (lastFetchMs === undefined || t - lastFetchMs > opts.staleAfterMs) return undefined;
      let watermark = t;
      for (const s of partitions.values()) {
        if (!s.behind) continue;
        // Behind without a record processed yet (the first batch is held): nothing is known past the start.
        if (s.newestEventMs === undefined) return undefined;
        watermark = Math.min(watermark, s.newestEventMs);
      }
      return watermark;
    },
  };
}

// How far this rules instance has processed its input, in event time: the
// watermark the silent-host sweep judges last-seen times against (hosts.ts).
// Fed by the consumer's own instrumentation events (kafkajs FETCH,
// START_BATCH_PROCESS, END_BATCH_PROCESS) and by the records the stage
// transforms; pure state with an injected clock, so unit tests drive it.
//
// Per partition: caught up (its last batch ended at the high watermark) or
// behind (a batch is in flight or held, or the last one ended short of the
// high watermark). The watermark is the oldest "newest event time processed"
// among the partitions behind; with every partition caught up, the newest
// event time processed on any (at most now). Not simply "now" when caught up:
// rules may be caught up with a topic the stages before it (decoder, the
// collectors' publishers) have stopped feeding, and then no host has sent
// anything "since" as far as rules can tell; the newest event time stops
// with the pipeline. Every collector heartbeats (30 s by default), so while the
// pipeline flows it trails now by about one heartbeat interval. Capped at now,
// so one collector whose clock runs ahead cannot make the others silent.
// Undefined (no judgement possible) before any event was processed, or when
// the consumer has not fetched for `staleAfterMs` (Kafka unreachable, the
// consumer gone: heartbeats may be waiting where nobody reads them).

export interface PipelineProgress {
  fetched(): void;
  batchStarted(partition: number): void;
  batchEnded(partition: number, offsetLag: string): void;
  /** A record of `partition` was transformed; `eventTimeMs` is its event's time. */
  processed(partition: number, eventTimeMs: number): void;
  /** The partitions this instance owns now (a rebalance): state of the others is dropped. */
  assigned(partitions: number[]): void;
  watermarkMs(): number | undefined;
  /** Behind on some partition: the watermark is a backlog's, and holds the other instances' sweeps back too. */
  behind(): boolean;
}

interface PartitionState {
  behind: boolean;
  newestEventMs: number | undefined;
}

export function createPipelineProgress(opts: { staleAfterMs: number; now?: () => number }): PipelineProgress {
  const now = opts.now ?? Date.now;
  const partitions = new Map<number, PartitionState>();
  let lastFetchMs: number | undefined;
  let newestEventMs: number | undefined;
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
      if (newestEventMs === undefined || eventTimeMs > newestEventMs) newestEventMs = eventTimeMs;
      const s = state(p);
      if (s.newestEventMs === undefined || eventTimeMs > s.newestEventMs) s.newestEventMs = eventTimeMs;
    },
    assigned(owned) {
      for (const p of [...partitions.keys()]) if (!owned.includes(p)) partitions.delete(p);
    },
    watermarkMs() {
      const t = now();
      if (lastFetchMs === undefined || t - lastFetchMs > opts.staleAfterMs || newestEventMs === undefined) return undefined;
      let watermark = Math.min(t, newestEventMs);
      for (const s of partitions.values()) {
        if (!s.behind) continue;
        // Behind without a record processed yet (the first batch is held): nothing is known past the start.
        if (s.newestEventMs === undefined) return undefined;
        watermark = Math.min(watermark, s.newestEventMs);
      }
      return watermark;
    },
    behind: () => [...partitions.values()].some((s) => s.behind),
  };
}

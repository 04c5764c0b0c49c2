import type { Component, Logger, Metrics } from "@dockwatch/runtime";
import type { Checkpoint } from "./checkpoint.js";
import type { Inventory, KnownContainer } from "./inventory.js";
import type { Records } from "./records.js";
import { Spool, entryBytes, type DropCount, type SpoolEntry, type SpooledRecord } from "./spool.js";

export interface SpoolWriterDeps {
  stateDir: string;
  maxEvents: number;
  /** Bytes the spool holds at most (values, keys, headers), beside maxEvents: whichever is reached first. */
  maxBytes: number;
  flushMs: number;
  /** A batch this large commits at once instead of waiting for flushMs. */
  batchMax: number;
  records: Records;
  logger: Logger;
  metrics: Metrics;
}

export interface SpoolWriter extends Component {
  /** The open spool (after start): the watcher and the reconciler load their state from it. */
  readonly spool: Spool;
  /** Records committed and not yet acknowledged. */
  readonly size: number;
  /** Appends one record, honouring the bound; `timeNano` dates it if it has to be dropped. */
  append(entry: SpoolEntry, timeNano: bigint): void;
  /** The read checkpoint to commit with the next batch (so it never claims an uncommitted event). */
  saveCheckpoint(checkpoint: Checkpoint): void;
  /** An inventory change to commit with the next batch. */
  saveInventory(id: string, change: KnownContainer | "removed"): void;
  /** Replaces the stored inventory at once (the first start's baseline). */
  saveBaseline(inventory: Inventory): void;
  /** Commits what is batched now (one fsync). */
  flush(): void;
  /** The oldest records not yet acknowledged, in spool order. */
  read(limit: number): SpooledRecord[];
  /** Kafka acknowledged everything up to `seq`: free it, and report pending drops now that there is room. */
  ack(seq: number): void;
  /** Called after every commit (the publisher wakes up). */
  onCommit(listener: () => void): void;
}

const SPOOL_GAUGE = ["spool_records", "records in the spool not yet acknowledged by Kafka"] as const;
/** Room a gap record needs (it is a few hundred bytes: envelope, times, count). */
const GAP_RECORD_BYTES = 1_024;
const SPOOL_BYTES_GAUGE = ["spool_bytes", "bytes of the records in the spool not yet acknowledged by Kafka"] as const;

/**
 * The write side of the spool: records, the checkpoint and inventory changes
 * batched into one durable commit every flushMs (or batchMax records), and
 * the bound: past maxEvents records or maxBytes bytes, records are counted as
 * dropped instead of spooled, and reported by one gap record as soon as there
 * is room again.
 */
export function createSpoolWriter(deps: SpoolWriterDeps): SpoolWriter {
  const { logger, metrics, records } = deps;
  let spool: Spool | undefined;
  let drop: DropCount | undefined;
  let batch: SpoolEntry[] = [];
  let batchBytes = 0;
  let batchInventory: [string, KnownContainer | "removed"][] = [];
  let batchCheckpoint: Checkpoint | undefined;
  let batchDrop: DropCount | null | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  const listeners: (() => void)[] = [];

  const open = (): Spool => {
    if (!spool) throw new Error("spool used before it was opened");
    return spool;
  };

  function flush(): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (batch.length === 0 && !batchCheckpoint && batchInventory.length === 0 && batchDrop === undefined) return;
    const s = open();
    s.write({
      entries: batch,
      ...(batchCheckpoint ? { checkpoint: batchCheckpoint } : {}),
      inventory: batchInventory,
      ...(batchDrop !== undefined ? { dropped: batchDrop } : {}),
    });
    metrics.set(...SPOOL_GAUGE, s.size);
    metrics.set(...SPOOL_BYTES_GAUGE, s.bytes);
    batch = [];
    batchBytes = 0;
    batchInventory = [];
    batchCheckpoint = undefined;
    batchDrop = undefined;
    for (const l of listeners) l();
  }

  function scheduleFlush(): void {
    if (batch.length >= deps.batchMax) flush();
    else flushTimer ??= setTimeout(flush, deps.flushMs);
  }

  const used = () => open().size + batch.length;
  const usedBytes = () => open().bytes + batchBytes;
  /** No room for one more record of `bytes`: past either bound. */
  const full = (bytes: number) => used() >= deps.maxEvents || usedBytes() + bytes > deps.maxBytes;
  const push = (entry: SpoolEntry) => {
    batch.push(entry);
    batchBytes += entryBytes(entry);
  };

  /** The one place a drop is reported: a gap record ahead of what follows, once there is room for it. */
  function reportDrops(): boolean {
    if (!drop || full(GAP_RECORD_BYTES)) return false;
    const gap = records.gap(drop.fromNano, drop.toNano, drop.count, "spool full: events dropped");
    logger.error({ dropped: drop.count }, `${drop.count} events dropped while the spool was full; publishing a gap record`);
    push(gap);
    drop = undefined;
    batchDrop = null;
    return true;
  }

  return {
    name: "spool",
    get spool() {
      return open();
    },
    get size() {
      return open().size;
    },
    async start() {
      spool = Spool.open(deps.stateDir);
      drop = spool.dropped();
      const checkpoint = spool.checkpoint();
      logger.info(
        { stateDir: deps.stateDir, spooled: spool.size, checkpoint: checkpoint?.lastNano === undefined ? null : String(checkpoint.lastNano) },
        "state loaded",
      );
    },
    async stop() {
      flush();
      spool?.close();
      spool = undefined;
    },
    append(entry, timeNano) {
      if (full(entryBytes(entry))) {
        if (!drop) logger.error({ spooled: used(), bytes: usedBytes(), stateDir: deps.stateDir }, "spool full; dropping events until Kafka catches up");
        drop = drop ? { count: drop.count + 1, fromNano: drop.fromNano, toNano: timeNano } : { count: 1, fromNano: timeNano, toNano: timeNano };
        batchDrop = drop;
        metrics.inc("dropped_total", "records dropped because the spool was full");
        scheduleFlush();
        return;
      }
      reportDrops();
      push(entry);
      scheduleFlush();
    },
    saveCheckpoint(checkpoint) {
      batchCheckpoint = checkpoint;
    },
    saveInventory(id, change) {
      batchInventory.push([id, change]);
    },
    saveBaseline(inventory) {
      open().setInventory(inventory);
    },
    flush,
    read: (limit) => open().read(limit),
    ack(seq) {
      const s = open();
      s.ack(seq);
      metrics.set(...SPOOL_GAUGE, s.size);
      metrics.set(...SPOOL_BYTES_GAUGE, s.bytes);
      // Report pending drops at once, not only when the next event comes.
      if (reportDrops()) flush();
    },
    onCommit(listener) {
      listeners.push(listener);
    },
  };
}

import Database from "better-sqlite3";
import { join } from "node:path";
import { Checkpoint } from "./checkpoint.js";
import type { Inventory, KnownContainer } from "./inventory.js";

/** One record waiting for Kafka: already encoded, so a restart publishes the very bytes it spooled. */
export interface SpoolEntry {
  topic: string;
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface SpooledRecord extends SpoolEntry {
  seq: number;
}

/** What one entry weighs in the spool's byte bound: its value, key and headers. */
export const entryBytes = (e: SpoolEntry): number => e.value.length + Buffer.byteLength(e.key) + (e.headers ? Buffer.byteLength(JSON.stringify(e.headers)) : 0);

/** Engine events dropped because the spool was full, not yet reported by a gap record. */
export interface DropCount {
  count: number;
  fromNano: bigint;
  toNano: bigint;
}

/** What one durable write carries: records, the read checkpoint and inventory changes, all or nothing. */
export interface SpoolWrite {
  entries: SpoolEntry[];
  checkpoint?: Checkpoint;
  inventory?: [string, KnownContainer | "removed"][];
  dropped?: DropCount | null;
}

/**
 * The collector's local state in one SQLite file (WAL): the spool of records
 * not yet acknowledged by Kafka, the read checkpoint, the acknowledged cursor,
 * the pending drop count and the container inventory. A write commits records
 * and the checkpoint that covers them in one transaction, so after a crash the
 * checkpoint never claims an event the spool does not hold. synchronous=FULL
 * fsyncs every commit; the caller batches writes to keep commits few.
 */
export class Spool {
  private pending: number;
  private pendingBytes: number;
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, headers TEXT);
      CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS inventory (id TEXT PRIMARY KEY, name TEXT NOT NULL, image TEXT NOT NULL, state TEXT NOT NULL);
    `);
    this.stmts = {
      insert: this.db.prepare("INSERT INTO spool (topic, key, value, headers) VALUES (?, ?, ?, ?)"),
      read: this.db.prepare("SELECT seq, topic, key, value, headers FROM spool WHERE seq > ? ORDER BY seq LIMIT ?"),
      count: this.db.prepare("SELECT count(*) AS n, coalesce(sum(length(value) + length(CAST(key AS BLOB)) + coalesce(length(CAST(headers AS BLOB)), 0)), 0) AS bytes FROM spool"),
      bytesUpTo: this.db.prepare("SELECT coalesce(sum(length(value) + length(CAST(key AS BLOB)) + coalesce(length(CAST(headers AS BLOB)), 0)), 0) AS bytes FROM spool WHERE seq <= ?"),
      ackDelete: this.db.prepare("DELETE FROM spool WHERE seq <= ?"),
      getMeta: this.db.prepare("SELECT v FROM meta WHERE k = ?"),
      setMeta: this.db.prepare("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v"),
      delMeta: this.db.prepare("DELETE FROM meta WHERE k = ?"),
      putContainer: this.db.prepare(
        "INSERT INTO inventory (id, name, image, state) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, image = excluded.image, state = excluded.state",
      ),
      delContainer: this.db.prepare("DELETE FROM inventory WHERE id = ?"),
      allContainers: this.db.prepare("SELECT id, name, image, state FROM inventory"),
    };
    const { n, bytes } = this.stmts.count.get() as { n: number; bytes: number };
    this.pending = n;
    this.pendingBytes = bytes;
  }

  static open(dir: string): Spool {
    return new Spool(join(dir, "collector.db"));
  }

  /** Records written and not yet acknowledged. */
  get size(): number {
    return this.pending;
  }

  /** Bytes of the records written and not yet acknowledged (values, keys, headers). */
  get bytes(): number {
    return this.pendingBytes;
  }

  write = (w: SpoolWrite): void => {
    this.db.transaction(() => {
      for (const e of w.entries) this.stmts.insert.run(e.topic, e.key, e.value, e.headers ? JSON.stringify(e.headers) : null);
      if (w.checkpoint) {
        this.stmts.setMeta.run("checkpoint", JSON.stringify(w.checkpoint.toJSON()));
      }
      for (const [id, c] of w.inventory ?? []) {
        if (c === "removed") this.stmts.delContainer.run(id);
        else this.stmts.putContainer.run(id, c.name, c.image, c.state);
      }
      if (w.dropped === null) this.stmts.delMeta.run("dropped");
      else if (w.dropped) {
        const d = w.dropped;
        this.stmts.setMeta.run("dropped", JSON.stringify({ count: d.count, fromNano: String(d.fromNano), toNano: String(d.toNano) }));
      }
    })();
    this.pending += w.entries.length;
    for (const e of w.entries) this.pendingBytes += entryBytes(e);
  };

  /** The oldest records not yet acknowledged, in spool order. */
  read(limit: number): SpooledRecord[] {
    const rows = this.stmts.read.all(this.ackedCursor(), limit) as { seq: number; topic: string; key: string; value: Buffer; headers: string | null }[];
    return rows.map((r) => ({ seq: r.seq, topic: r.topic, key: r.key, value: r.value, ...(r.headers ? { headers: JSON.parse(r.headers) as Record<string, string> } : {}) }));
  }

  /** Kafka acknowledged everything up to `seq`: advance the cursor and free the space. */
  ack(seq: number): void {
    const { freed, bytes } = this.db.transaction(() => {
      this.stmts.setMeta.run("acked", String(seq));
      const { bytes } = this.stmts.bytesUpTo.get(seq) as { bytes: number };
      return { freed: this.stmts.ackDelete.run(seq).changes, bytes };
    })();
    this.pending -= freed;
    this.pendingBytes -= bytes;
  }

  ackedCursor(): number {
    const row = this.stmts.getMeta.get("acked") as { v: string } | undefined;
    return row ? Number(row.v) : 0;
  }

  checkpoint(): Checkpoint | undefined {
    const row = this.stmts.getMeta.get("checkpoint") as { v: string } | undefined;
    if (!row) return undefined;
    return new Checkpoint(JSON.parse(row.v) as string[]);
  }

  dropped(): DropCount | undefined {
    const row = this.stmts.getMeta.get("dropped") as { v: string } | undefined;
    if (!row) return undefined;
    const j = JSON.parse(row.v) as { count: number; fromNano: string; toNano: string };
    return { count: j.count, fromNano: BigInt(j.fromNano), toNano: BigInt(j.toNano) };
  }

  inventory(): Inventory {
    const rows = this.stmts.allContainers.all() as KnownContainer[];
    return new Map(rows.map((r) => [r.id, r]));
  }

  hasInventory(): boolean {
    return this.stmts.getMeta.get("inventory-baseline") !== undefined;
  }

  /** Replaces the whole inventory (first start: the engine's list is the baseline). */
  setInventory(all: Inventory): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM inventory").run();
      for (const c of all.values()) this.stmts.putContainer.run(c.id, c.name, c.image, c.state);
      this.stmts.setMeta.run("inventory-baseline", new Date().toISOString());
    })();
  }

  close(): void {
    this.db.close();
  }
}

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createCodec, MemorySchemaStore } from "@dockwatch/codec";
import type { EngineEvent } from "@dockwatch/contracts";
import { RecordError } from "@dockwatch/errors";
import { createLogger, Metrics } from "@dockwatch/runtime";
import type Docker from "dockerode";
import { Checkpoint, Spool, createIntake, createRecords, createSpoolWriter, type Inspector, type Reconciler } from "../src/index.js";

const ev = (timeNano: bigint, ID: string): EngineEvent => ({
  Type: "container",
  Action: "start",
  Actor: { ID, Attributes: {} },
  scope: "local",
  time: timeNano / 1_000_000_000n,
  timeNano,
  status: null,
  id: null,
  from: null,
});

describe("the intake's order of durability", () => {
  it("checkpoints an event only with its record: an encode failure leaves it unread, so a replay spools it", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "intake-"));
    const real = createCodec({ store: new MemorySchemaStore() });
    let failing = true;
    const codec = { encode: (name: string, value: unknown) => (failing ? (() => { throw new RecordError("encode-failed", "not encodable"); })() : real.encode(name, value)) };
    const logger = createLogger("intake-test", "silent");
    const metrics = new Metrics("t");
    const records = createRecords({ agent: { id: "a", name: "a", ip: "127.0.0.1" }, topics: { raw: "raw", dlq: "dlq" }, codec });
    const writer = createSpoolWriter({ stateDir, maxEvents: 100, maxBytes: 1_048_576, flushMs: 1, batchMax: 10, records, logger, metrics });
    await writer.start();
    const checkpoint = new Checkpoint();
    const intake = createIntake({
      checkpoint: () => checkpoint,
      writer,
      records,
      reconciler: { track: () => undefined } as unknown as Reconciler,
      inspector: { factsFor: async () => null } as unknown as Inspector,
      logger,
      metrics,
    });
    const docker = {} as Docker;
    const event = ev(1_700_000_000_000_000_001n, "c1");
    await assert.rejects(intake.accept(docker, event, "{}"), { code: "encode-failed" });
    writer.flush();
    assert.equal(writer.spool.checkpoint()?.has(event) ?? false, false, "not checkpointed without its record");
    assert.equal(writer.size, 0);

    // The replay (same event again) spools it, checkpoint and record in one commit.
    failing = false;
    await intake.accept(docker, event, "{}");
    writer.flush();
    assert.equal(writer.spool.checkpoint()?.has(event), true);
    assert.equal(writer.size, 1);
    await writer.stop();
    const reopened = Spool.open(stateDir);
    assert.equal(reopened.size, 1);
    reopened.close();
  });
});

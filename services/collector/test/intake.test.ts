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
    let mode: "bug" | "record" | "ok" = "bug";
    const codec = {
      encode: (name: string, value: unknown) => {
        if (mode === "bug") throw new TypeError("a bug while encoding");
        if (mode === "record") throw new RecordError("too-large", "no bound makes it fit");
        return real.encode(name, value);
      },
    };
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
      reconciler: { track: () => undefined, related: () => null } as unknown as Reconciler,
      inspector: { factsFor: async () => null, execFor: async () => null } as unknown as Inspector,
      logger,
      metrics,
    });
    const docker = {} as Docker;
    const event = ev(1_700_000_000_000_000_001n, "c1");
    // A bug of ours while encoding (not a record error): thrown, and the event is not marked as read.
    mode = "bug";
    await assert.rejects(intake.accept(docker, event, "{}"), TypeError);
    writer.flush();
    assert.equal(writer.spool.checkpoint()?.has(event) ?? false, false, "not checkpointed without its record");
    assert.equal(writer.size, 0);

    // The replay (same event again) spools it, checkpoint and record in one commit.
    mode = "ok";
    await intake.accept(docker, event, "{}");
    writer.flush();
    assert.equal(writer.spool.checkpoint()?.has(event), true);
    assert.equal(writer.size, 1);

    // An event no bound can make into a record: its line goes to the dead-letter topic, checkpointed with it.
    mode = "record";
    const other = ev(1_700_000_000_000_000_002n, "c2");
    await intake.accept(docker, other, `{"x":"${"y".repeat(100_000)}"}`);
    writer.flush();
    assert.equal(writer.spool.checkpoint()?.has(other), true);
    const [, letter] = writer.read(10);
    assert.equal(letter?.topic, "dlq");
    assert.ok(letter!.value.length <= 65_536);
    await writer.stop();
    const reopened = Spool.open(stateDir);
    assert.equal(reopened.size, 2);
    reopened.close();
  });
});

import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createCodec, MemorySchemaStore } from "@dockwatch/codec";
import type { DockerEvent } from "@dockwatch/contracts";
import { createLogger, Metrics } from "@dockwatch/runtime";
import { Spool, createRecords, createSpoolWriter } from "../src/index.js";

describe("the spool's byte bound", () => {
  it("drops records past maxBytes (not only past maxEvents), reports them with one gap record once acks make room, and keeps the count across a reopen", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "spool-bytes-"));
    const codec = createCodec({ store: new MemorySchemaStore() });
    const logger = createLogger("spool-test", "silent");
    const metrics = new Metrics("t");
    const records = createRecords({ agent: { id: "a", name: "a", ip: "127.0.0.1" }, topics: { raw: "raw", dlq: "dlq" }, codec });
    const maxBytes = 20_000;
    const writer = createSpoolWriter({ stateDir, maxEvents: 1_000, maxBytes, flushMs: 1, batchMax: 1, records, logger, metrics });
    await writer.start();
    const big = (n: number) => ({ topic: "raw", key: `k${n}`, value: Buffer.alloc(4_000, n) });
    for (let n = 0; n < 10; n++) writer.append(big(n), BigInt(n) * 1_000_000_000n);
    writer.flush();
    assert.equal(writer.size, 4, "4 records of 4 KB fit in 20 KB, a fifth would not");
    assert.ok(writer.spool.bytes <= maxBytes);
    assert.equal(writer.spool.dropped()?.count, 6);
    assert.match(metrics.render(), /^t_dropped_total 6$/m);

    // Reopened: the byte count is read back from the spool.
    await writer.stop();
    const reopened = Spool.open(stateDir);
    const bytes = reopened.bytes;
    assert.ok(bytes > 16_000 && bytes <= maxBytes, `${bytes}`);
    reopened.close();

    await writer.start();
    const [first] = writer.read(1);
    writer.ack(first!.seq);
    const rest = writer.read(10);
    assert.equal(rest.length, 4, "3 records left and the gap record ahead of what follows");
    const gap = await codec.decode<DockerEvent>("DockerEvent", rest.at(-1)!.value);
    assert.equal(gap.kind, "gap");
    assert.equal(gap.gap?.dropped, 6n);
    await writer.stop();
  });
});

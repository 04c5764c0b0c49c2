import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPipelineProgress } from "../src/correlation/index.js";

// The watermark the silent-host sweep judges against, driven by a fake clock.

function progressAt(start: number) {
  let now = start;
  const progress = createPipelineProgress({ staleAfterMs: 30_000, now: () => now });
  return { progress, advance: (ms: number) => (now += ms), now: () => now };
}

describe("pipeline progress (watermark)", () => {
  it("is unknown until the consumer fetched, then now while every partition is caught up", () => {
    const { progress, now } = progressAt(1_000_000);
    assert.equal(progress.watermarkMs(), undefined);
    progress.fetched();
    assert.equal(progress.watermarkMs(), now());
    progress.batchStarted(0);
    progress.processed(0, 999_000);
    progress.batchEnded(0, "0");
    assert.equal(progress.watermarkMs(), now());
  });

  it("behind on a partition (batch held, or ended short of the high watermark): its newest event time processed", () => {
    const { progress, advance } = progressAt(1_000_000);
    progress.fetched();
    progress.batchStarted(3);
    progress.processed(3, 900_000);
    progress.processed(3, 940_000);
    progress.processed(3, 920_000);
    assert.equal(progress.watermarkMs(), 940_000, "a batch in flight");
    progress.batchEnded(3, "1200");
    progress.fetched();
    advance(10_000);
    assert.equal(progress.watermarkMs(), 940_000, "a backlog of 1200 records");
    progress.batchStarted(1);
    progress.processed(1, 800_000);
    assert.equal(progress.watermarkMs(), 800_000, "the partition furthest behind");
  });

  it("a partition behind with nothing processed yet, or a consumer that stopped fetching, gives no watermark", () => {
    const { progress, advance } = progressAt(1_000_000);
    progress.fetched();
    progress.batchStarted(0);
    assert.equal(progress.watermarkMs(), undefined);
    progress.processed(0, 990_000);
    progress.batchEnded(0, "0");
    advance(30_001);
    assert.equal(progress.watermarkMs(), undefined, "no fetch for 30 s: Kafka unreachable");
  });

  it("forgets partitions moved to another instance", () => {
    const { progress, now } = progressAt(1_000_000);
    progress.fetched();
    progress.batchStarted(5);
    progress.processed(5, 500_000);
    progress.assigned([0, 1]);
    assert.equal(progress.watermarkMs(), now());
  });
});

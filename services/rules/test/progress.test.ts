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
  it("is unknown until the consumer fetched and processed an event; caught up, it is the newest event time processed, at most now", () => {
    const { progress, advance } = progressAt(1_000_000);
    assert.equal(progress.watermarkMs(), undefined);
    progress.fetched();
    assert.equal(progress.watermarkMs(), undefined, "nothing processed yet");
    progress.batchStarted(0);
    progress.processed(0, 999_000);
    progress.batchEnded(0, "0");
    assert.equal(progress.watermarkMs(), 999_000);
    // Nothing more arrives (the decoder stopped feeding the topic): the watermark stops with the pipeline.
    advance(20_000);
    progress.fetched();
    assert.equal(progress.watermarkMs(), 999_000);
    // A collector whose clock runs 10 minutes ahead.
    progress.processed(2, 1_620_000);
    assert.equal(progress.watermarkMs(), 1_020_000, "capped at now");
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
    assert.equal(progress.behind(), true);
    progress.batchEnded(1, "0");
    progress.batchEnded(3, "0");
    assert.equal(progress.behind(), false);
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
    const { progress } = progressAt(1_000_000);
    progress.fetched();
    progress.batchStarted(0);
    progress.processed(0, 990_000);
    progress.batchEnded(0, "0");
    progress.batchStarted(5);
    progress.processed(5, 500_000);
    assert.equal(progress.watermarkMs(), 500_000);
    progress.assigned([0, 1]);
    assert.equal(progress.watermarkMs(), 990_000);
  });
});

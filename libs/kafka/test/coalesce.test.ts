import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { coalesce, type Round } from "../src/coalesce.js";

describe("coalesce: the batches of one fetch as one round", () => {
  it("batches that arrive in the same turn form one round; a later one its own, after the first settled", async () => {
    const rounds: number[][][] = [];
    let running = 0;
    const handle = coalesce<number>(async ({ batches }: Round<number>) => {
      running += 1;
      assert.equal(running, 1, "rounds run one at a time");
      await new Promise((r) => setTimeout(r, 5));
      rounds.push(batches);
      running -= 1;
    });
    const signal = new AbortController().signal;
    const first = [handle([1, 2], signal), handle([3], signal), handle([4, 5], signal)];
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const later = handle([6], signal);
    await Promise.all([...first, later]);
    assert.deepEqual(rounds, [[[1, 2], [3], [4, 5]], [[6]]]);
  });

  it("a failed round fails each of its batches with its error, and the next round still runs", async () => {
    let calls = 0;
    const handle = coalesce<number>(async () => {
      calls += 1;
      if (calls === 1) throw new Error("elasticsearch said no");
    });
    const signal = new AbortController().signal;
    const results = await Promise.allSettled([handle([1], signal), handle([2], signal)]);
    assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
    await handle([3], signal);
    assert.equal(calls, 2);
  });

  it("the round's signal aborts only once every batch of it was given up", async () => {
    const a = new AbortController();
    const b = new AbortController();
    let seen: AbortSignal | undefined;
    const handle = coalesce<number>(async ({ signal }) => {
      seen = signal;
      a.abort(new Error("revoked"));
      assert.equal(signal.aborted, false, "the other partition's batch still wants it");
      b.abort(new Error("stopping"));
    });
    await Promise.all([handle([1], a.signal), handle([2], b.signal)]);
    assert.equal(seen?.aborted, true);
  });
});

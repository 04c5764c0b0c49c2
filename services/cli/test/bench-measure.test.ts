import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionsOf } from "../scripts/bench/es-proxy.js";
import { ackedRate, latencyWindows, percentile, rateOf } from "../scripts/bench/measure.js";

describe("bench measurements (pure parts)", () => {
  it("percentile is the nearest rank", () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(v, 50), 50);
    assert.equal(percentile(v, 99), 99);
    assert.equal(percentile(v, 100), 100);
    assert.equal(percentile([], 50), undefined);
  });

  it("rates: records over the span between first and last; acknowledgements a request at a time count after the first answer", () => {
    assert.equal(rateOf(11, [1000, 2000, 1500]).perSecond, 10);
    assert.equal(rateOf(1, [5]).perSecond, undefined);
    // Three answers of 2 documents each, 1 s apart: 4 documents in 2 s.
    assert.deepEqual(ackedRate([0, 0, 1000, 1000, 2000, 2000]), { perSecond: 2, spanMs: 2000 });
    assert.equal(ackedRate([7, 7, 7]).perSecond, undefined);
  });

  it("reads the targets of a _bulk body, source lines skipped, delete without one, the path's index as default", () => {
    const body = [`{"index":{"_index":"a","_id":"1"}}`, `{"x":1}`, `{"delete":{"_id":"2"}}`, `{"create":{"_index":"b","_id":"3"}}`, `{"y":2}`, ""].join("\n");
    assert.deepEqual(actionsOf(body, "p"), [
      { index: "a", id: "1" },
      { index: "p", id: "2" },
      { index: "b", id: "3" },
    ]);
  });

  it("latencyWindows: percentiles per window of event time, in order, early samples in the first", () => {
    const at = (s: number, latencyMs: number) => ({ eventMs: 1_000_000 + s * 1000, latencyMs });
    const w = latencyWindows([at(0, 900), at(1, 800), at(6, 20), at(7, 30), at(12, 40), at(-1, 999)], 1_000_000, 5_000);
    assert.deepEqual(
      w.map((x) => [x.fromSeconds, x.latency.count, x.latency.max]),
      [
        [0, 3, 999],
        [5, 2, 30],
        [10, 1, 40],
      ],
    );
  });
});

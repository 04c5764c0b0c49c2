import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReplayCursor, ReplayProgress, ReplayUsageError, parseSince, planReplay, progressLine, summaryLine } from "../src/index.js";

describe("parseSince", () => {
  const now = new Date("2026-11-28T13:00:00.000Z");
  it("takes a duration ago", () => {
    assert.equal(parseSince("90s", now).toISOString(), "2026-11-28T12:58:30.000Z");
    assert.equal(parseSince("15m", now).toISOString(), "2026-11-28T12:45:00.000Z");
    assert.equal(parseSince("2h", now).toISOString(), "2026-11-28T11:00:00.000Z");
    assert.equal(parseSince("7d", now).toISOString(), "2026-11-21T13:00:00.000Z");
    assert.equal(parseSince("1w", now).toISOString(), "2026-11-21T13:00:00.000Z");
  });
  it("takes an ISO 8601 time", () => {
    assert.equal(parseSince("2026-11-28T10:15:00Z", now).toISOString(), "2026-11-28T10:15:00.000Z");
    assert.equal(parseSince("2026-11-28T10:15:00+0200", now).toISOString(), "2026-11-28T08:15:00.000Z");
    assert.equal(parseSince("2026-11-27", now).toISOString(), "2026-11-27T00:00:00.000Z");
  });
  it("refuses anything else with the flag's name", () => {
    for (const bad of ["", "1", "yesterday", "15 minutes", "2026-13-45", "-5m"]) {
      assert.throws(() => parseSince(bad, now), (e: Error) => e instanceof ReplayUsageError && e.message.startsWith("--since:"), bad);
    }
  });
});

describe("planReplay", () => {
  it("reads each partition from its offset at --since to its end at start", () => {
    const plan = planReplay(
      [
        { partition: 0, offset: "10" },
        { partition: 1, offset: "7" }, // no record after --since: kafkajs answers the end offset
        { partition: 2, offset: "0" },
      ],
      [
        { partition: 2, high: "5" },
        { partition: 0, high: "25" },
        { partition: 1, high: "7" },
      ],
    );
    assert.deepEqual(plan.ranges, [
      { partition: 0, start: 10n, end: 25n },
      { partition: 1, start: 7n, end: 7n },
      { partition: 2, start: 0n, end: 5n },
    ]);
    assert.equal(plan.total, 20);
  });
  it("never starts past the end captured first", () => {
    const plan = planReplay([{ partition: 0, offset: "12" }], [{ partition: 0, high: "10" }]);
    assert.deepEqual(plan.ranges, [{ partition: 0, start: 10n, end: 10n }]);
    assert.equal(plan.total, 0);
  });
});

describe("ReplayCursor", () => {
  it("is finished once every non-empty partition reached its end", () => {
    const cursor = new ReplayCursor(planReplay(
      [
        { partition: 0, offset: "3" },
        { partition: 1, offset: "4" },
      ],
      [
        { partition: 0, high: "5" },
        { partition: 1, high: "4" },
      ],
    ));
    assert.equal(cursor.finished, false);
    assert.equal(cursor.inRange(0, "3"), true);
    assert.equal(cursor.inRange(0, "5"), false, "records produced after the start are not replayed");
    assert.equal(cursor.inRange(1, "4"), false, "an empty partition reads nothing");
    assert.equal(cursor.done(0, "3"), false);
    assert.equal(cursor.done(0, "4"), true);
    assert.equal(cursor.finished, true);
    assert.equal(cursor.inRange(0, "4"), false);
  });
});

describe("progress", () => {
  it("prints done/total and %, at most once a second, always the last", () => {
    const lines: string[] = [];
    let now = 0;
    const progress = new ReplayProgress(10, (l) => lines.push(l), 1000, () => now);
    progress.advance(2);
    now = 500;
    progress.advance(3);
    now = 1200;
    progress.advance(1);
    now = 1300;
    progress.advance(4);
    assert.deepEqual(lines, ["replay: 2/10 records (20.0%)", "replay: 6/10 records (60.0%)", "replay: 10/10 records (100.0%)"]);
    assert.equal(progressLine(0, 0), "replay: 0/0 records (100.0%)");
  });
  it("summarises alerts per rule and records that no longer alert", () => {
    const line = summaryLine({ records: 5, alerts: 3, byRule: new Map([["87904", 1], ["87903", 2]]), silent: 2, undecodable: 0 }, false);
    assert.equal(line, "replay: done, 5 records, 3 alerts produced (87903×2 87904×1); 2 records give no alert now (alerts indexed earlier for them stay as they are)");
  });
});

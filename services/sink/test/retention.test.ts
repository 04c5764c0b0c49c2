import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { indexDay, indicesToDelete } from "../src/index.js";

const names = [
  "dockwatch-alerts-2025.02.27",
  "dockwatch-alerts-2025.02.28",
  "dockwatch-alerts-2025.03.01",
  "dockwatch-alerts-2025.03.31",
  "dockwatch-alerts-2025.02.31", // not a date
  "dockwatch-alerts-archive",
  "dockwatch-alerts-2025.02.27-restored",
  "other-2020.01.01",
];

describe("indicesToDelete", () => {
  it("deletes the daily indices whose day ended more than N days ago, nothing else", () => {
    const now = new Date("2025-03-31T10:00:00Z");
    // 30 days before is 2025-03-01T10:00Z: 02.28 ended at 03-01T00:00Z (gone), 03.01 ends 03-02T00:00Z (kept).
    assert.deepEqual(indicesToDelete(names, now, 30), ["dockwatch-alerts-2025.02.27", "dockwatch-alerts-2025.02.28"]);
    assert.deepEqual(indicesToDelete(names, now, 1), ["dockwatch-alerts-2025.02.27", "dockwatch-alerts-2025.02.28", "dockwatch-alerts-2025.03.01"]);
  });

  it("keeps today's and yesterday's index with 1 day until yesterday is a full day old", () => {
    assert.deepEqual(indicesToDelete(["dockwatch-alerts-2025.03.30", "dockwatch-alerts-2025.03.31"], new Date("2025-03-31T23:59:59Z"), 1), []);
    assert.deepEqual(indicesToDelete(["dockwatch-alerts-2025.03.30", "dockwatch-alerts-2025.03.31"], new Date("2025-04-01T00:00:00Z"), 1), ["dockwatch-alerts-2025.03.30"]);
  });

  it("is off at 0 days", () => {
    assert.deepEqual(indicesToDelete(names, new Date("2030-01-01T00:00:00Z"), 0), []);
  });

  it("reads only real dates of the index's own prefix", () => {
    assert.equal(indexDay("dockwatch-alerts-2025.02.31"), undefined);
    assert.equal(indexDay("other-2020.01.01"), undefined);
    assert.equal(indexDay("dockwatch-alerts-2024.02.29")?.toISOString(), "2024-02-29T00:00:00.000Z");
    assert.deepEqual(indicesToDelete(["t-x-2020.01.01", "dockwatch-alerts-2020.01.01"], new Date("2025-01-01T00:00:00Z"), 7, "t-x-"), ["t-x-2020.01.01"]);
  });
});

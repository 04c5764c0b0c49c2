import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "@dockwatch/runtime";
import { infra, unique } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { applyRetention } from "../../src/index.js";

// Retention on the real Elasticsearch, on indices of this test's own prefix
// (the shared dockwatch-alerts-* indices belong to everyone's tests).

const logger = createLogger("sink-retention-test", process.env.LOG_LEVEL ?? "silent");

describe("retention on the real Elasticsearch", () => {
  it("deletes the daily indices older than ALERT_RETENTION_DAYS and keeps the rest", async () => {
    const es = new Client({ node: infra.elasticsearchUrl });
    const prefix = `${unique("retention")}-`;
    const names = ["2025.01.01", "2025.01.09", "2025.01.10", "2025.01.11"].map((d) => `${prefix}${d}`);
    const unrelated = `${prefix}archive`;
    try {
      for (const index of [...names, unrelated]) await es.indices.create({ index, settings: { number_of_shards: 1, number_of_replicas: 0 } });
      const deleted = await applyRetention({ es, retentionDays: 2, intervalMs: 60_000, logger, prefix, now: () => new Date("2025-01-12T06:00:00Z") });
      // 2 days before is 2025-01-10T06:00Z: 01.09 ended at 01-10T00:00Z, 01.10 ends at 01-11T00:00Z.
      assert.deepEqual(deleted, [`${prefix}2025.01.01`, `${prefix}2025.01.09`]);
      const left = (await es.cat.indices({ index: `${prefix}*`, h: "index", format: "json" })) as Array<{ index: string }>;
      assert.deepEqual(left.map((r) => r.index).sort(), [`${prefix}2025.01.10`, `${prefix}2025.01.11`, unrelated]);
    } finally {
      await es.indices.delete({ index: `${prefix}*`, ignore_unavailable: true }).catch(() => undefined);
      await es.close();
    }
  });
});

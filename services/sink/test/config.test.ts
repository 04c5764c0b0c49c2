import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertIndexTemplate, indicesToDelete, loadSinkConfig } from "../src/index.js";

describe("loadSinkConfig", () => {
  it("has defaults that need no environment", () => {
    const c = loadSinkConfig({});
    assert.equal(c.bulkMaxDocs, 1000);
    assert.equal(c.bulkMaxBytes, 5 * 1024 * 1024);
    assert.equal(c.flushIntervalMs, 500);
    assert.equal(c.concurrency, 16);
    assert.equal(c.retentionDays, 0, "retention is off by default");
    assert.equal(c.retentionCheckIntervalMs, 3_600_000);
    assert.equal(c.startupTimeoutMs, 120_000);
    assert.equal(c.indices.dailyPrefix, "dockwatch-alerts-");
    assert.equal(c.indices.alias, "dockwatch-alerts");
  });

  it("takes daily indices, template and alias from SINK_INDEX_PREFIX", () => {
    const { indices, replicas } = loadSinkConfig({ SINK_INDEX_PREFIX: "pipeline-b" });
    assert.deepEqual([indices.dailyPrefix, indices.template, indices.alias], ["pipeline-b-", "pipeline-b", "pipeline-b"]);
    const template = alertIndexTemplate(replicas, indices);
    assert.deepEqual(template.index_patterns, ["pipeline-b-*"]);
    assert.deepEqual(Object.keys(template.template.aliases), ["pipeline-b"]);
    assert.deepEqual(indicesToDelete(["pipeline-b-2020.01.01", "dockwatch-alerts-2020.01.01"], new Date("2025-01-01T00:00:00Z"), 7, indices.dailyPrefix), ["pipeline-b-2020.01.01"]);
  });

  it("reads the tunables with their units", () => {
    const c = loadSinkConfig({
      SINK_BULK_MAX_DOCS: "500",
      SINK_BULK_MAX_BYTES: "2097152",
      SINK_FLUSH_INTERVAL: "250ms",
      SINK_CONCURRENCY: "4",
      ALERT_RETENTION_DAYS: "30",
      SINK_RETENTION_CHECK_INTERVAL: "10m",
      ES_STARTUP_TIMEOUT: "5s",
      SINK_ITEM_RETRY_ATTEMPTS: "4",
    });
    assert.deepEqual(
      [c.bulkMaxDocs, c.bulkMaxBytes, c.flushIntervalMs, c.concurrency, c.retentionDays, c.retentionCheckIntervalMs, c.startupTimeoutMs, c.itemRetryAttempts],
      [500, 2_097_152, 250, 4, 30, 600_000, 5_000, 4],
    );
  });

  const bad: Array<[string, string]> = [
    ["SINK_BULK_MAX_DOCS", "0"],
    ["SINK_BULK_MAX_BYTES", "1k"],
    ["SINK_FLUSH_INTERVAL", "soon"],
    ["SINK_CONCURRENCY", "-1"],
    ["ALERT_RETENTION_DAYS", "thirty"],
    ["SINK_RETENTION_CHECK_INTERVAL", "1d"],
    ["ES_STARTUP_TIMEOUT", "-5s"],
    ["SINK_ITEM_RETRY_ATTEMPTS", "0"],
    ["SINK_INDEX_PREFIX", "Dockwatch-Alerts"],
    ["SINK_INDEX_PREFIX", "alerts*"],
    ["SINK_INDEX_PREFIX", "_alerts"],
  ];
  for (const [variable, value] of bad) {
    it(`stops on ${variable}=${value} with one line naming it`, () => {
      assert.throws(() => loadSinkConfig({ [variable]: value }), (err: Error) => err.name === "ConfigError" && err.message.startsWith(`${variable}:`) && !err.message.includes("\n"));
    });
  }
});

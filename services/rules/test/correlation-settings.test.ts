import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { correlationSettings, windowTtlMs } from "../src/correlation/index.js";

describe("window TTL", () => {
  it("lives one timeframe plus the grace", () => {
    assert.equal(windowTtlMs(60_000, 300_000), 360_000);
  });
});

describe("correlationSettings", () => {
  it("defaults: prefix dockwatch:, silent after 2m, sweep every 15s, grace 5m, local Redis", () => {
    const s = correlationSettings({});
    assert.equal(s.redis.url, "redis://localhost:6379");
    assert.equal(s.keyPrefix, "dockwatch:");
    assert.equal(s.silentHosts.afterMs, 120_000);
    assert.equal(s.silentHosts.checkIntervalMs, 15_000);
    assert.equal(s.graceMs, 300_000);
    assert.equal(s.firedTtlMs, 7 * 24 * 3600_000);
    assert.ok(s.silentHosts.leaseMs >= s.silentHosts.checkIntervalMs);
  });
  for (const [env, variable] of [
    [{ SILENT_HOST_AFTER: "soon" }, "SILENT_HOST_AFTER"],
    [{ SILENT_HOST_AFTER: "0" }, "SILENT_HOST_AFTER"],
    [{ SILENT_HOST_CHECK_INTERVAL: "0s" }, "SILENT_HOST_CHECK_INTERVAL"],
    [{ SILENT_HOST_AFTER: "1m", SILENT_HOST_CHECK_INTERVAL: "5m" }, "SILENT_HOST_CHECK_INTERVAL"],
    [{ CORRELATION_GRACE: "-1s" }, "CORRELATION_GRACE"],
    [{ CORRELATION_FIRED_TTL: "a week" }, "CORRELATION_FIRED_TTL"],
    [{ REDIS_URL: "http://localhost:6379" }, "REDIS_URL"],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} naming ${variable}`, () => {
      assert.throws(() => correlationSettings(env), (err: Error) => err.message.startsWith(`${variable}: expected`));
    });
  }
});

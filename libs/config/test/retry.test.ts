import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, RETRY_DEFAULTS, retrySettings, type Env } from "../src/index.js";

describe("retrySettings", () => {
  it("has defaults that need no environment, in ms", () => {
    assert.deepEqual(retrySettings({}, "SINK"), {
      outage: { initialMs: 200, maxMs: 30_000 },
      unknown: { initialMs: 200, maxMs: 30_000, maxAttempts: RETRY_DEFAULTS.unknownAttempts },
      startup: { initialMs: 500, maxMs: 10_000 },
    });
    assert.equal(RETRY_DEFAULTS.unknownAttempts, 3);
    assert.equal(retrySettings({}).outage.maxMs, 30_000, "without a prefix, the same defaults");
  });

  it("reads the service's own variables with their units", () => {
    const r = retrySettings({ SINK_RETRY_INITIAL_DELAY: "50ms", SINK_RETRY_MAX_DELAY: "2s", SINK_UNKNOWN_ERROR_ATTEMPTS: "5", DECODER_RETRY_MAX_DELAY: "1h" }, "SINK");
    assert.deepEqual(r.outage, { initialMs: 50, maxMs: 2_000 });
    assert.deepEqual(r.unknown, { initialMs: 50, maxMs: 2_000, maxAttempts: 5 });
    assert.equal(retrySettings({ RETRY_MAX_DELAY: "1m" }).outage.maxMs, 60_000);
  });

  const bad: Array<[Env, string]> = [
    [{ SINK_RETRY_MAX_DELAY: "soon" }, 'SINK_RETRY_MAX_DELAY: expected a duration such as 500ms, 30s, 5m or 1h, got "soon"'],
    [{ SINK_RETRY_INITIAL_DELAY: "0ms" }, 'SINK_RETRY_INITIAL_DELAY: expected a duration of at least 1ms, got "0ms"'],
    [{ SINK_RETRY_INITIAL_DELAY: "5s", SINK_RETRY_MAX_DELAY: "1s" }, 'SINK_RETRY_MAX_DELAY: expected a duration not shorter than SINK_RETRY_INITIAL_DELAY (5000ms), got "1s"'],
    [{ SINK_UNKNOWN_ERROR_ATTEMPTS: "0" }, 'SINK_UNKNOWN_ERROR_ATTEMPTS: expected an integer from 1 to 100, got "0"'],
    [{ SINK_UNKNOWN_ERROR_ATTEMPTS: "forever" }, 'SINK_UNKNOWN_ERROR_ATTEMPTS: expected an integer from 1 to 100, got "forever"'],
  ];
  for (const [env, line] of bad) {
    it(`stops on ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(() => retrySettings(env, "SINK"), (err: unknown) => err instanceof ConfigError && err.message === line);
    });
  }
});

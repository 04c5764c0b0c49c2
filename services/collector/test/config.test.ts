import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadCollectorConfig } from "../src/index.js";

const stateDir = mkdtempSync(join(tmpdir(), "collector-config-"));
const load = (env: Record<string, string> = {}) => loadCollectorConfig({ COLLECTOR_STATE_DIR: stateDir, ...env });

describe("collector retry policies", () => {
  it("have their defaults in the config, in ms", () => {
    const { retry } = load();
    assert.deepEqual(retry.engine, { initialMs: 500, maxMs: 30_000 });
    assert.deepEqual(retry.kafka, { initialMs: 500, maxMs: 30_000 });
    assert.deepEqual(retry.publish, { initialMs: 200, maxMs: 10_000 });
    assert.equal(retry.unknownAttempts, 5);
  });

  it("take durations with units", () => {
    const { retry } = load({ COLLECTOR_RETRY_MIN: "1s", COLLECTOR_RETRY_MAX: "2m", COLLECTOR_PUBLISH_RETRY_MIN: "50", COLLECTOR_UNKNOWN_ERROR_ATTEMPTS: "2" });
    assert.deepEqual(retry.engine, { initialMs: 1_000, maxMs: 120_000 });
    assert.equal(retry.publish.initialMs, 50);
    assert.equal(retry.unknownAttempts, 2);
  });

  for (const [env, variable] of [
    [{ COLLECTOR_RETRY_MIN: "soon" }, "COLLECTOR_RETRY_MIN"],
    [{ COLLECTOR_RETRY_MIN: "1m", COLLECTOR_RETRY_MAX: "30s" }, "COLLECTOR_RETRY_MIN"],
    [{ COLLECTOR_RETRY_MIN: "0" }, "COLLECTOR_RETRY_MIN"],
    [{ COLLECTOR_PUBLISH_RETRY_MAX: "100ms" }, "COLLECTOR_PUBLISH_RETRY_MIN"],
    [{ COLLECTOR_UNKNOWN_ERROR_ATTEMPTS: "0" }, "COLLECTOR_UNKNOWN_ERROR_ATTEMPTS"],
  ] as const) {
    it(`refuses ${JSON.stringify(env)}`, () => {
      assert.throws(() => load(env), (err: Error) => err.name === "ConfigError" && err.message.startsWith(variable));
    });
  }
});

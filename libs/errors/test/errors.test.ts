import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DependencyError, RecordError, RetryAbortedError, backoffDelay, classify, errorCode, isRetryable, retry } from "../src/index.js";

describe("classify", () => {
  it("decides by the taxonomy, not by class names or messages", () => {
    assert.equal(classify(new DependencyError("kafka-unavailable", "broker down")), "retryable");
    assert.equal(classify(new RecordError("invalid-value", "no usable time")), "record");
    assert.equal(classify(new ConfigError("KAFKA_BROKERS", "host:port", "x")), "config");
    // A bug looks like any other error: unknown, never "record".
    assert.equal(classify(new TypeError("usable time")), "unknown");
    const named = new Error("x");
    named.name = "RecordError";
    assert.equal(classify(named), "unknown");
  });

  it("gives codes and retryability", () => {
    assert.equal(errorCode(new RecordError("not-avro", "x")), "not-avro");
    assert.equal(errorCode(new Error("x")), "unknown");
    assert.equal(isRetryable(new DependencyError("redis-unavailable", "x")), true);
    assert.equal(isRetryable(new Error("x")), false);
    assert.equal(new ConfigError("HEALTH_PORT", "a port", "abc").message, 'HEALTH_PORT: expected a port, got "abc"');
    assert.equal(new DependencyError("x", "y").name, "DependencyError");
  });
});

describe("backoffDelay", () => {
  it("doubles from the initial delay and caps at the maximum, with jitter in the upper half", () => {
    const p = { initialMs: 100, maxMs: 1000 };
    assert.equal(backoffDelay(0, p, () => 0), 50);
    assert.equal(backoffDelay(0, p, () => 0.999999), 100);
    assert.equal(backoffDelay(3, p, () => 0), 400);
    assert.equal(backoffDelay(30, p, () => 0.999999), 1000);
  });
});

describe("retry", () => {
  const fast = { initialMs: 1, maxMs: 2 };

  it("retries until the operation succeeds, reporting each wait", async () => {
    const waits: number[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 3) throw new DependencyError("down", `attempt ${attempt}`);
        return attempt;
      },
      fast,
      undefined,
      { onRetry: (_err, attempt) => waits.push(attempt) },
    );
    assert.equal(result, 3);
    assert.deepEqual(waits, [0, 1, 2]);
  });

  it("gives up with the last error after maxAttempts", async () => {
    let calls = 0;
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw new Error(`failure ${calls}`);
        },
        { ...fast, maxAttempts: 4 },
      ),
      /failure 4/,
    );
    assert.equal(calls, 4);
  });

  it("stops at once when retryIf refuses the error", async () => {
    let calls = 0;
    const bad = new RecordError("invalid", "bad record");
    await assert.rejects(
      retry(
        async () => {
          calls++;
          throw bad;
        },
        fast,
        undefined,
        { retryIf: isRetryable },
      ),
      (err) => err === bad,
    );
    assert.equal(calls, 1);
  });

  it("gives up after maxElapsedMs", async () => {
    const started = Date.now();
    await assert.rejects(retry(async () => Promise.reject(new Error("still down")), { initialMs: 5, maxMs: 5, maxElapsedMs: 40 }), /still down/);
    assert.ok(Date.now() - started < 1000);
  });

  it("ends a wait when the signal aborts, with the last failure as cause", async () => {
    const abort = new AbortController();
    const pending = retry(
      async () => {
        setTimeout(() => abort.abort(), 5);
        throw new DependencyError("down", "broker down");
      },
      { initialMs: 60_000, maxMs: 60_000 },
      abort.signal,
    );
    await assert.rejects(pending, (err: unknown) => err instanceof RetryAbortedError && (err.cause as Error).message === "broker down");
  });
});

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { DependencyError, isRetryable } from "@dockwatch/errors";
import { Metrics, createLogger } from "@dockwatch/runtime";
import { trackAvailability, type Redis } from "../src/correlation/index.js";

// The availability guard's rules, with a stand-in for the ioredis client's
// status and events and a fake clock (the real Redis outage is tested in
// test/integration/redis-outage.test.ts).

function setup() {
  const client = Object.assign(new EventEmitter(), { status: "ready" });
  let now = 1_000_000;
  const metrics = new Metrics("t");
  const availability = trackAvailability(client as unknown as Redis, { metrics, logger: createLogger("test", "silent"), now: () => now });
  let calls = 0;
  const ok = () => availability.guard(async () => ++calls);
  const failing = () =>
    availability.guard(async () => {
      calls++;
      throw new DependencyError("redis-unavailable", "Command timed out");
    });
  return { client, metrics, availability, ok, failing, calls: () => calls, advance: (ms: number) => (now += ms), now: () => now };
}

describe("correlation availability", () => {
  it("a failing command pauses Redis work (no call at all), for a pause that doubles per failure; a success ends it", async () => {
    const s = setup();
    await s.ok();
    assert.equal(s.metrics.get("correlation_available"), 1);
    await assert.rejects(s.failing(), isRetryable);
    assert.equal(s.metrics.get("correlation_available"), 0);
    assert.equal(s.availability.availableSinceMs(), undefined);
    await assert.rejects(s.ok(), /paused after failed commands/);
    assert.equal(s.calls(), 2, "nothing sent while paused");
    s.advance(1_000);
    await assert.rejects(s.failing(), isRetryable); // the probe fails: 2 s now
    s.advance(1_999);
    await assert.rejects(s.ok(), /paused/);
    s.advance(1);
    await s.ok();
    assert.equal(s.metrics.get("correlation_available"), 1);
    assert.equal(s.availability.availableSinceMs(), s.now());
  });

  it("not connected: fails at once without a call, and is usable again when the client is ready", async () => {
    const s = setup();
    s.client.status = "reconnecting";
    s.client.emit("close");
    assert.equal(s.metrics.get("correlation_available"), 0);
    await assert.rejects(s.ok(), /not connected/);
    assert.equal(s.calls(), 0);
    s.client.status = "ready";
    s.client.emit("ready");
    assert.equal(s.metrics.get("correlation_available"), 1);
    await s.ok();
  });

  it("a bug (not retryable) is passed on and does not pause Redis", async () => {
    const s = setup();
    await assert.rejects(
      s.availability.guard(async () => {
        throw new TypeError("boom");
      }),
      TypeError,
    );
    await s.ok();
    assert.equal(s.metrics.get("correlation_available"), 1);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Metrics, createLogger, startService, type Component } from "../src/index.js";

describe("startService", () => {
  it("starts components in order, serves health, and stops them in reverse", async () => {
    const events: string[] = [];
    const component = (name: string): Component => ({
      name,
      start: async () => void events.push(`start ${name}`),
      stop: async () => void events.push(`stop ${name}`),
    });
    const metrics = new Metrics("test");
    metrics.inc("records_total", "records seen", 3);
    const service = await startService({
      name: "test",
      logger: createLogger("test", "silent"),
      healthPort: 0,
      components: [component("producer"), component("consumer")],
      metrics,
    });
    const base = `http://localhost:${service.healthPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.match(await (await fetch(`${base}/metrics`)).text(), /test_records_total 3/);
    await service.stop("test");
    assert.deepEqual(events, ["start producer", "start consumer", "stop consumer", "stop producer"]);
  });

  it("is not ready while a component reports not ready", async () => {
    const service = await startService({
      name: "test",
      logger: createLogger("test", "silent"),
      healthPort: 0,
      components: [{ name: "c", start: async () => {}, stop: async () => {}, ready: () => false }],
    });
    assert.equal((await fetch(`http://localhost:${service.healthPort}/readyz`)).status, 503);
    await service.stop("test");
  });
});

describe("chunkBySize", () => {
  it("keeps order, bounds size and count, and sends an oversized item alone", async () => {
    const { chunkBySize } = await import("../src/index.js");
    const size = (n: number) => n;
    assert.deepEqual(chunkBySize([3, 3, 3, 10, 1], size, 6), [[3, 3], [3], [10], [1]]);
    assert.deepEqual(chunkBySize([1, 1, 1, 1, 1], size, 100, 2), [[1, 1], [1, 1], [1]]);
    assert.deepEqual(chunkBySize([], size, 6), []);
  });
});

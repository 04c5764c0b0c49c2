import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { Metrics, createLogger, startService, type Component, type ComponentContext } from "../src/index.js";

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
    const base = `http://127.0.0.1:${service.healthPort}`;
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
    assert.equal((await fetch(`http://127.0.0.1:${service.healthPort}/readyz`)).status, 503);
    await service.stop("test");
  });
});

describe("a component's fatal error", () => {
  it("stops every component in reverse and rejects `stopped` with the error", async () => {
    const events: string[] = [];
    let report: ComponentContext | undefined;
    const service = await startService({
      name: "test",
      logger: createLogger("test", "silent"),
      healthPort: 0,
      components: [
        { name: "producer", start: async () => {}, stop: async () => void events.push("stop producer") },
        {
          name: "consumer",
          start: async (ctx) => void (report = ctx),
          stop: async () => void events.push("stop consumer"),
        },
      ],
    });
    const bug = new TypeError("cannot read properties of undefined");
    report!.fatal(bug, "a batch failed");
    report!.fatal(new Error("a consequence"), "ignored: the first failure tells");
    await assert.rejects(service.stopped, (err: unknown) => err === bug);
    assert.deepEqual(events, ["stop consumer", "stop producer"]);
    assert.equal((await fetch(`http://127.0.0.1:${service.healthPort}/healthz`).catch(() => undefined))?.status, undefined, "health server closed");
  });

  it("resolves `stopped` when stopped on request", async () => {
    const service = await startService({ name: "test", logger: createLogger("test", "silent"), healthPort: 0, components: [] });
    await service.stop("test");
    await service.stopped;
  });
});

describe("runMain", () => {
  const main = fileURLToPath(new URL("./fixtures/fatal-main.ts", import.meta.url));
  const run = (env: Record<string, string>, signal?: NodeJS.Signals) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", main], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
      let stdout = "";
      let signalled = false;
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        // Signal only once runMain is listening (it is, by the time a component starts).
        if (signal && !signalled && stdout.includes("worker started\n")) {
          signalled = true;
          child.kill(signal);
        }
      });
      child.on("exit", (code) => resolve({ code, stdout }));
    });

  it("exits 1 once a component's fatal error stopped the service, stopping the last parts after every component", async () => {
    const { code, stdout } = await run({ FAIL_AFTER_MS: "200" });
    assert.equal(code, 1);
    // pino writes asynchronously: its line may come before or after the fixture's own.
    const lines = stdout.trim().split("\n");
    const logLines = lines.filter((l) => l.startsWith("{"));
    assert.deepEqual(lines.filter((l) => !l.startsWith("{")), ["worker started", "worker stopped", "producer stopped", "telemetry stopped"]);
    // One log line (the fixture logs at "fatal" only) with the error and its stack.
    assert.equal(logLines.length, 1, stdout);
    const log = JSON.parse(logLines[0]!) as { level: string; msg: string; component: string; err: { type: string; stack: string } };
    assert.equal(log.level, "fatal");
    assert.equal(log.component, "worker");
    assert.equal(log.msg, "worker: a batch failed; stopping the service");
    assert.equal(log.err.type, "TypeError");
    assert.match(log.err.stack, /^TypeError: x is not a function\n\s+at /);
  });

  it("exits 0 on SIGTERM, the last parts stopped last", async () => {
    const { code, stdout } = await run({}, "SIGTERM");
    assert.equal(code, 0);
    assert.deepEqual(stdout.trim().split("\n"), ["worker started", "worker stopped", "producer stopped", "telemetry stopped"]);
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

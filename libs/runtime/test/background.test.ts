import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DependencyError, RecordError } from "@dockwatch/errors";
import { backgroundComponent, createLogger, retryByTaxonomy, startService } from "../src/index.js";

const logger = createLogger("test", "silent");
const fast = { initialMs: 1, maxMs: 5 };
const unavailable = () => new DependencyError("unavailable", "not up yet");

describe("backgroundComponent", () => {
  it("lets the service go live while the dependency is down, then becomes ready; stop releases", async () => {
    const events: string[] = [];
    let up = false;
    const failures: unknown[] = [];
    const bg = backgroundComponent({
      name: "kafka",
      logger,
      retry: fast,
      unknownAttempts: 3,
      attempt: async () => {
        events.push("attempt");
        if (!up) throw unavailable();
      },
      release: async () => void events.push("release"),
      onFailure: (err) => failures.push(err),
    });
    const service = await startService({ name: "test", logger, healthPort: 0, components: [bg] });
    const readyz = async () => (await fetch(`http://127.0.0.1:${service.healthPort}/readyz`)).status;
    assert.equal((await fetch(`http://127.0.0.1:${service.healthPort}/healthz`)).status, 200);
    assert.equal(await readyz(), 503);
    up = true;
    await bg.started;
    assert.equal(await readyz(), 200);
    await service.stop("test");
    assert.ok(events.filter((e) => e === "attempt").length >= 2);
    assert.equal(events.at(-1), "release");
    assert.deepEqual(failures, []);
  });

  it("gives up on an error nobody classified after the bounded attempts, with that error", async () => {
    let attempts = 0;
    const bug = new TypeError("cannot read properties of undefined");
    const failed = new Promise<unknown>((resolve) => {
      const bg = backgroundComponent({
        name: "watcher",
        logger,
        retry: fast,
        unknownAttempts: 3,
        attempt: async () => {
          attempts += 1;
          throw bug;
        },
        onFailure: resolve,
      });
      void bg.start();
    });
    assert.equal(await failed, bug);
    assert.equal(attempts, 3);
  });

  it("does not retry a record error", async () => {
    let attempts = 0;
    const bad = new RecordError("bad", "bad input");
    const failed = await new Promise<unknown>((resolve) => {
      const attempt = async () => {
        attempts += 1;
        throw bad;
      };
      void backgroundComponent({ name: "x", logger, retry: fast, unknownAttempts: 5, attempt, onFailure: resolve }).start();
    });
    assert.equal(failed, bad);
    assert.equal(attempts, 1);
  });

  it("starts over when a run ends, releasing each session; waitMs holds start() for the first attempt", async () => {
    const events: string[] = [];
    let sessions = 0;
    let stopRun!: () => void;
    const bg = backgroundComponent({
      name: "watcher",
      logger,
      retry: fast,
      unknownAttempts: 2,
      waitMs: 5_000,
      attempt: async () => {
        sessions += 1;
        events.push(`attempt ${sessions}`);
      },
      run: (signal) =>
        new Promise<void>((resolve) => {
          if (sessions < 3) return resolve(); // the stream ended: reconnect
          stopRun = resolve;
          signal.addEventListener("abort", () => resolve(), { once: true });
        }),
      release: async () => void events.push(`release ${sessions}`),
      onFailure: (err) => assert.fail(String(err)),
    });
    await bg.start();
    assert.ok(sessions >= 1, "start() waited for the first attempt");
    while (sessions < 3 || !bg.running) await new Promise((r) => setTimeout(r, 5));
    await bg.stop();
    assert.equal(bg.running, false);
    assert.deepEqual(events, ["attempt 1", "release 1", "attempt 2", "release 2", "attempt 3", "release 3"]);
    assert.equal(typeof stopRun, "function");
  });

  it("an unknown error in a run counts toward the bound; a clean run end resets it", async () => {
    let runs = 0;
    const failed = await new Promise<unknown>((resolve) => {
      void backgroundComponent({
        name: "w",
        logger,
        retry: fast,
        unknownAttempts: 2,
        attempt: async () => undefined,
        run: async () => {
          runs += 1;
          if (runs === 1) throw new Error("odd");
          if (runs === 2) return; // ended cleanly: count starts over
          throw new Error(`odd ${runs}`);
        },
        onFailure: resolve,
      }).start();
    });
    assert.equal((failed as Error).message, "odd 4");
    assert.equal(runs, 4);
  });
});

describe("retryByTaxonomy", () => {
  it("retries dependency errors, never record errors, unknown ones a bounded number of times in a row", () => {
    const judge = retryByTaxonomy(2);
    assert.equal(judge.retryIf(unavailable()), true);
    assert.equal(judge.retryIf(new RecordError("bad", "bad")), false);
    assert.equal(judge.retryIf(new Error("?")), true);
    assert.equal(judge.retryIf(unavailable()), true); // a known failure in between resets the count
    assert.equal(judge.retryIf(new Error("?")), true);
    assert.equal(judge.retryIf(new Error("?")), false);
  });
});

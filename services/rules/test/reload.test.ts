import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Metrics, type Logger } from "@dockwatch/runtime";
import { waitFor } from "@dockwatch/test-helpers";
import { SHIPPED_RULES_DIR, matchEvent } from "@dockwatch/rule-engine";
import { decodedEvent } from "@dockwatch/rule-engine/testing";
import { createRulesetHolder } from "../src/index.js";

/** A logger that keeps what it is told, to see the rejected reload's errors. */
function memoryLogger() {
  const lines: { level: string; msg: string }[] = [];
  const log = (level: string) => (a: unknown, b?: unknown) => lines.push({ level, msg: String(typeof a === "string" ? a : b) });
  const logger = { info: log("info"), warn: log("warn"), error: log("error"), debug: log("debug") } as unknown as Logger;
  return { logger, lines };
}

function copyOfShipped(): { shipped: string; local: string } {
  const root = mkdtempSync(join(tmpdir(), "dockwatch-reload-"));
  const shipped = join(root, "shipped");
  cpSync(SHIPPED_RULES_DIR, shipped, { recursive: true });
  const local = join(root, "local");
  mkdirSync(local);
  return { shipped, local };
}

const started = decodedEvent({ type: "container", action: "start", attributes: { name: "web" } });
const levelOfStart = (holder: ReturnType<typeof createRulesetHolder>) => matchEvent(started, holder.current()).rule?.level;

describe("hot reload", () => {
  it("a file change in the local dir is picked up; an invalid one is rejected and the old ruleset keeps running", async () => {
    const { shipped, local } = copyOfShipped();
    const { logger, lines } = memoryLogger();
    const holder = createRulesetHolder({ sources: { shippedDir: shipped, localDir: local }, logger, debounceMs: 50, sighup: false });
    await holder.start();
    try {
      const first = holder.current().hash;
      assert.equal(levelOfStart(holder), 3);

      writeFileSync(join(local, "local.yml"), "overrides:\n  - id: 87903\n    level: 6\n");
      await waitFor("the override to load", async () => levelOfStart(holder) === 6, 10_000, 20);
      const second = holder.current().hash;
      assert.notEqual(second, first);

      writeFileSync(join(local, "local.yml"), "overrides:\n  - id: 87903\n    level: 6\n  - id: 87904\n    level: 99\n");
      await waitFor("the rejection to be logged", async () => lines.some((l) => l.level === "error"), 10_000, 20);
      const error = lines.find((l) => l.level === "error")!.msg;
      assert.match(error, /ruleset reload rejected/);
      assert.ok(error.includes(`${join(local, "local.yml")}:5: overrides.1.level: must be <= 15`), error);
      assert.equal(holder.current().hash, second, "the old ruleset keeps running");
      assert.equal(levelOfStart(holder), 6);
    } finally {
      await holder.stop();
    }
  });

  it("SIGHUP reloads (a change in the shipped dir, e.g. after an upgrade)", async () => {
    const { shipped } = copyOfShipped();
    const { logger } = memoryLogger();
    // No file watching here: the debounce is long, so only the signal can reload in time.
    const holder = createRulesetHolder({ sources: { shippedDir: shipped }, logger, debounceMs: 3_600_000 });
    await holder.start();
    try {
      const file = join(shipped, "0100-wazuh-docker.yml");
      writeFileSync(file, readFileSync(file, "utf8").replace("Container $(docker.Actor.Attributes.name) started", "Started $(docker.Actor.Attributes.name)"));
      process.kill(process.pid, "SIGHUP");
      await waitFor("SIGHUP reload", async () => matchEvent(started, holder.current()).rule?.description === "Started $(docker.Actor.Attributes.name)", 10_000, 20);
    } finally {
      await holder.stop();
    }
  });

  it("a file that vanishes mid-reload (ENOENT during a config-map swap) is logged and counted, the old ruleset keeps running, and the reload is tried again", async () => {
    const { shipped, local } = copyOfShipped();
    const { logger, lines } = memoryLogger();
    const metrics = new Metrics("test");
    const holder = createRulesetHolder({ sources: { shippedDir: shipped, localDir: local }, logger, metrics, debounceMs: 20, retryMs: 50, sighup: false });
    await holder.start();
    try {
      const first = holder.current().hash;
      // A config map's files are symlinks into a directory the kubelet swaps: mid-swap, the link points nowhere.
      const target = join(local, "..2026_12_02", "local.yml");
      symlinkSync(target, join(local, "local.yml"));
      assert.equal(holder.reload("test"), false);
      assert.equal(holder.current().hash, first, "the old ruleset keeps running");
      assert.ok(metrics.get("ruleset_reload_failures_total") >= 1);
      assert.match(lines.find((l) => l.level === "error")!.msg, /ruleset reload failed \(ENOENT.*keeping ruleset/);
      // The swap completes: the retry picks the new file up without another change or signal.
      mkdirSync(join(local, "..2026_12_02"));
      writeFileSync(target, "overrides:\n  - id: 87903\n    level: 6\n");
      await waitFor("the retried reload", async () => levelOfStart(holder) === 6, 10_000, 20);
    } finally {
      await holder.stop();
      rmSync(local, { recursive: true, force: true });
    }
  });

  it("the first load of an invalid ruleset throws (the service does not start)", () => {
    const { shipped } = copyOfShipped();
    writeFileSync(join(shipped, "9999-bad.yml"), "rules:\n  - id: 1\n    level: 3\n");
    assert.throws(() => createRulesetHolder({ sources: { shippedDir: shipped }, logger: memoryLogger().logger }), {
      name: "RulesetError",
      message: /9999-bad\.yml:2: rules\.0: must have required property 'description'/,
    });
  });
});

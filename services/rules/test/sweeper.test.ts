import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "@dockwatch/runtime";
import { waitFor } from "@dockwatch/test-helpers";
import { createHostSweeper, type HostWatch, type SweepProgress } from "../src/correlation/index.js";

// When the sweeper may judge at all (the Lua of the sweep itself is tested
// against the real Redis in test/integration/silent-hosts.test.ts).

const SILENT_AFTER = 120_000;

function recordingWatch() {
  const sweeps: Array<{ nowMs: number; progress: SweepProgress | undefined }> = [];
  const watch: HostWatch = {
    seen: async () => null,
    sweep: async (nowMs, progress) => (sweeps.push({ nowMs, progress }), []),
    confirm: async () => undefined,
  };
  return { watch, sweeps };
}

describe("host sweeper", () => {
  it("holds while Redis is down and for SILENT_HOST_AFTER after it came back (the outage's heartbeats were not recorded)", async () => {
    const { watch, sweeps } = recordingWatch();
    let now = 10_000_000;
    let availableSince: number | undefined;
    const sweeper = createHostSweeper({
      watch,
      intervalMs: 5,
      silentAfterMs: SILENT_AFTER,
      logger: createLogger("test", "silent"),
      now: () => now,
      availableSinceMs: () => availableSince,
      emit: async () => undefined,
    });
    await sweeper.start();
    try {
      now += 10 * SILENT_AFTER; // long after start, but Redis down
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(sweeps.length, 0);
      availableSince = now; // Redis back
      now += SILENT_AFTER - 1;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(sweeps.length, 0, "not within SILENT_HOST_AFTER of the return");
      now += 2;
      await waitFor("a sweep", async () => sweeps.length > 0, 5_000, 5);
    } finally {
      await sweeper.stop();
    }
  });

  it("passes its watermark and instance id, and skips the sweep while there is no watermark", async () => {
    const { watch, sweeps } = recordingWatch();
    const progress: { watermarkMs?: number } = {};
    const sweeper = createHostSweeper({
      watch,
      intervalMs: 60_000,
      silentAfterMs: SILENT_AFTER,
      logger: createLogger("test", "silent"),
      now: () => 5_000_000,
      watermarkMs: () => progress.watermarkMs,
      instanceId: "rules-1",
      emit: async () => undefined,
    });
    assert.deepEqual(await sweeper.sweepNow(), []);
    assert.equal(sweeps.length, 0);
    progress.watermarkMs = 4_000_000;
    await sweeper.sweepNow();
    assert.deepEqual(sweeps, [{ nowMs: 5_000_000, progress: { instanceId: "rules-1", watermarkMs: 4_000_000, behind: false } }]);
  });
});

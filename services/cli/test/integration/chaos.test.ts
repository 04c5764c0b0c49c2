import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runChaos } from "../../scripts/chaos/run.js";
import type { ChaosOptions } from "../../scripts/chaos/scenarios.js";

// The reduced chaos run (npm run chaos has the full one): the real stack
// under load, the rules service killed with -9 at a random moment, hostile
// messages on every consumed topic, and the poison JSON on alerts. Each
// scenario must end with every expected alert indexed once and every hostile
// message dead-lettered. No timing is asserted (the settle timeout only bounds
// the wait).

const opts: ChaosOptions = { rate: 20, loadSeconds: 10, outageSeconds: 0, hostile: 60, oversize: 1, engineRuns: 2, settleSeconds: 120, lockWaitSeconds: 0 };

describe("chaos (reduced run)", () => {
  it("loses and duplicates no alert and dead-letters every hostile message: kill -9 of rules, hostile messages, poison JSON", async () => {
    const log = (line: string) => process.env.CHAOS_VERBOSE && process.stderr.write(`chaos: ${line}\n`);
    const { results } = await runChaos(opts, ["kill9-rules", "hostile", "poison-json"], (line) => void log(line));
    for (const r of results) {
      const what = `${r.scenario}: ${JSON.stringify({ ...r, examples: r.examples })}`;
      assert.notEqual(r.status, "error", what);
      assert.ok(r.expected > 0, what);
      assert.equal(r.missing, 0, what);
      assert.equal(r.duplicated, 0, what);
      assert.equal(r.hostileInDlq, r.hostileSent, what);
      assert.equal(r.oversize.lost, 0, what);
    }
  });
});

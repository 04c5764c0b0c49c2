import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seedAlerts } from "@dockwatch/test-helpers";
import { runRulesCommand } from "../src/commands/rules.js";

async function cli(args: string[], stdin = "") {
  let stdout = "";
  let stderr = "";
  const code = await runRulesCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), stdin: () => stdin, env: {} });
  return { code, stdout, stderr };
}

describe("dockwatch rules check", () => {
  it("passes the shipped ruleset alone and with a valid local dir", async () => {
    const local = mkdtempSync(join(tmpdir(), "dockwatch-check-"));
    writeFileSync(join(local, "local.yml"), "overrides:\n  - id: 87903\n    level: 4\n");
    const { code, stdout } = await cli(["rules", "check", local]);
    assert.equal(code, 0);
    assert.match(stdout, /^ruleset [0-9a-f]{16}: \d+ rules from 6 files, no errors\n$/);
  });

  it("lists every error with file:line and exits 1", async () => {
    const local = mkdtempSync(join(tmpdir(), "dockwatch-check-"));
    writeFileSync(join(local, "a.yml"), "rules:\n  - id: 100001\n    level: 3\n    if_sid: 87903\n    description: x\n    fields: { docker.Action: { regex: '(?=x)' } }\n");
    writeFileSync(join(local, "b.yml"), "overrides:\n  - id: 87903\n    levle: 4\n");
    const { code, stderr } = await cli(["rules", "check", local]);
    assert.equal(code, 1);
    assert.equal(
      stderr,
      [
        `${local}/b.yml:3: overrides.0: unknown key "levle"`,
        `${local}/a.yml:6: pattern "(?=x)" is not supported by RE2: invalid perl operator: (?=`,
        "2 error(s)",
        "",
      ].join("\n"),
    );
  });
});

describe("dockwatch logtest", () => {
  it("prints the decoded fields, the rules tried and the seed's alert for the seed's engine lines", async () => {
    const stream = seedAlerts()
      .map((s) => s.engineEventText)
      .join("\n");
    const { code, stdout } = await cli(["logtest"], stream);
    assert.equal(code, 0);
    const reports = stdout.split("**Phase 1").slice(1);
    assert.equal(reports.length, 4);
    for (const [i, seed] of seedAlerts().entries()) {
      assert.ok(reports[i]!.includes(`id: '${seed.document.rule.id}'`), reports[i]);
      assert.ok(reports[i]!.includes(`"description": "${seed.document.rule.description}"`));
      // The engine's 19 digits, verbatim.
      assert.ok(reports[i]!.includes(`docker.timeNano: '${/"timeNano": (\d+)/.exec(seed.engineEventText)![1]}'`));
      assert.match(reports[i]!, /87900 \(level 0\) Docker events: matched/);
    }
  });

  it("keeps frequency windows for the session: five failed exits show the crash loop", async () => {
    const die = (i: number) =>
      JSON.stringify({ Type: "container", Action: "die", Actor: { ID: "c1", Attributes: { name: "loop", exitCode: "1" } }, time: 1700000040 + i, timeNano: `${1700000040 + i}000000000` });
    const { code, stdout } = await cli(["logtest", "--json"], [0, 1, 2, 3, 4].map(die).join("\n"));
    assert.equal(code, 0);
    const results = stdout.trim().split("\n").map((l) => JSON.parse(l) as { alerts: { rule: { id: string } }[] });
    assert.deepEqual(results.map((r) => r.alerts.map((a) => a.rule.id)), [["87924"], ["87924"], ["87924"], ["87924"], ["87924", "130970"]]);
  });

  it("reports input it cannot read and exits 1", async () => {
    const { code, stderr } = await cli(["logtest"], '{"foo": 1}');
    assert.equal(code, 1);
    assert.match(stderr, /neither an engine event/);
  });
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack, type TestStack } from "./stack.js";

const run_ = promisify(execFile);
const cli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

// `dockwatch replay` after a ruleset change: an alert already in Elasticsearch
// is updated in place (same _id, same index) with the new rule's description,
// through the sink's explicit update path (the replay header), which logs it.

describe("dockwatch replay --since", () => {
  const run = unique("rpl");
  const container = `${run}-web`;
  const localDir = mkdtempSync(join(tmpdir(), `${run}-rules-`));
  let stack: TestStack;

  before(async () => {
    stack = await startStack({ run });
  });

  after(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    await stack?.stop();
    rmSync(localDir, { recursive: true, force: true });
  });

  it("updates the alerts of the replayed events in place with the current ruleset", async (t) => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const id = await docker("run", "-d", "--name", container, busyboxImage(), "sleep", "300");
    const startedAlerts = () => stack.alertsWhere("data.docker.Actor.ID", [id]).then((hits) => hits.filter((h) => h.doc.rule.id === "87903"));
    const [original] = await waitFor("the start alert", async () => ((await startedAlerts()).length > 0 ? startedAlerts() : undefined), 120_000, 1000).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${stack.tail()}`);
      },
    );
    assert.equal(original!.doc.rule.description, `Container ${container} started`);

    // The user's override: the same rule, a new description.
    writeFileSync(
      join(localDir, "local.yml"),
      "overrides:\n  - { id: 87903, description: 'Container $(docker.Actor.Attributes.name) started (replayed)' }\n",
    );
    const { stderr } = await run_(process.execPath, [cli, "replay", "--since", since, "--local-dir", localDir], { env: { ...process.env, ...stack.env } });
    // Progress ends at 100 % of what was in the topic when the replay began.
    const last = /replay: (\d+)\/(\d+) records \(100\.0%\)/.exec(stderr);
    assert.ok(last, stderr);
    assert.equal(last[1], last[2]);
    assert.ok(Number(last[2]) >= 2, `create and start at least: ${stderr}`);
    t.diagnostic(stderr.trim());
    // At least this container's start: the collector sees every container of the shared engine (other tests' too).
    assert.match(stderr, /replay: done, \d+ records, \d+ alerts produced \(.*87903×[1-9]/);

    const updated = await waitFor(
      "the alert updated in place",
      async () => {
        const hits = await startedAlerts();
        return hits.length === 1 && hits[0]!.doc.rule.description.endsWith("(replayed)") ? hits[0] : undefined;
      },
      60_000,
      1000,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify((await startedAlerts()).map((h) => h.doc.rule.description))}\n${stderr}\n${stack.tail()}`);
    });
    assert.equal(updated._id, original!._id, "same alert id");
    assert.equal(updated._index, original!._index, "same daily index");
    assert.equal(updated.doc.rule.description, `Container ${container} started (replayed)`);
    assert.equal(updated.doc.data.docker.timeNano, original!.doc.data.docker.timeNano);
    assert.notEqual(updated.doc.dockwatch?.ruleset, original!.doc.dockwatch?.ruleset, "stamped with the ruleset that produced it");
    // The sink replaced it only because replay marked its records, and said so, naming the id.
    const runId = /run (dockwatch-replay-[0-9a-f-]+)/.exec(stderr)?.[1];
    assert.ok(runId, `the replay names its run: ${stderr}`);
    assert.ok(
      stack.output.some((l) => l.startsWith("sink#") && l.includes(`replay ${runId} replaced alert ${original!._id}`)),
      `the sink logged the replaced id:\n${stack.tail()}`,
    );
    // Exactly one alert for the start event, the replayed one.
    const all = await stack.alertsWhere("data.docker.Actor.ID", [id]);
    assert.equal(all.filter((h) => h.doc.data.docker.Action === "start").length, 1);
  });
});

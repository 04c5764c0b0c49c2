import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { DEFAULT_PARTITIONS } from "@dockwatch/contracts";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack, waitForMembers, type TestStack } from "./stack.js";

// Two decoders and two rules instances in one consumer group each: the
// partitions are split between them and the alert set stays exact: every
// source event (as `docker events` prints it) has exactly one alert.

const CONTAINERS = 30;
const PARTITIONS = DEFAULT_PARTITIONS; // what libs/kafka creates a new topic with (libs/contracts topology)

/** The engine's own view of the events of containers labelled `label`: "<actor> <action> <timeNano>". */
function engineEvents(label: string) {
  const lines = new Set<string>();
  const cli = spawn("docker", ["events", "--filter", `label=${label}`, "--filter", "type=container", "--format", "{{.Actor.ID}} {{.Action}} {{.TimeNano}}"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  cli.stdout.setEncoding("utf8");
  let buffered = "";
  cli.stdout.on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) lines.add(line.trim());
  });
  return { lines, stop: () => cli.kill() };
}

/** "joined <group>: N partition(s)" lines of one instance, the last one wins. */
function lastJoin(output: string[], prefix: string, groupId: string): number | undefined {
  let count: number | undefined;
  const pattern = new RegExp(`joined ${groupId}: (\\d+) partition`);
  for (const line of output) {
    if (!line.startsWith(prefix)) continue;
    const m = pattern.exec(line);
    if (m) count = Number(m[1]);
  }
  return count;
}

describe("two decoders and two rules instances in one consumer group", () => {
  const run = unique("grp");
  const label = `dockwatch.test=${run}`;
  const names = Array.from({ length: CONTAINERS }, (_, i) => `${run}-c${i}`);
  let stack: TestStack;

  before(async () => {
    stack = await startStack({ run, instances: { decoder: 2, rules: 2 } });
  });

  after(async () => {
    for (const n of names) await docker("rm", "-f", n).catch(() => undefined);
    await stack?.stop();
  });

  it("split the partitions between the two members of each group", async (t) => {
    for (const [service, groupId] of [
      ["decoder", stack.env.DECODER_CONSUMER_GROUP!],
      ["rules", stack.env.RULES_CONSUMER_GROUP!],
    ] as const) {
      const members = await waitForMembers(groupId, 2);
      const held = members.flatMap((m) => m.partitions).sort((a, b) => a - b);
      assert.deepEqual(held, Array.from({ length: PARTITIONS }, (_, p) => p), `${groupId}: every partition held by exactly one member`);
      // Each instance says so in its own log too.
      const joined = await waitFor(
        `both ${service} instances to log their share`,
        async () => {
          const counts = [0, 1].map((i) => lastJoin(stack.output, `${service}#${i} |`, groupId));
          return counts.every((c) => c !== undefined && c > 0 && c < PARTITIONS) && counts.reduce((a, b) => a! + b!, 0) === PARTITIONS ? counts : undefined;
        },
        30_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${stack.output.filter((l) => l.includes("joined")).join("\n")}`);
      });
      assert.equal(joined.length, 2);
      t.diagnostic(`${groupId}: ${members.map((m) => `[${m.partitions.join(",")}]`).join(" ")}`);
    }
  });

  it(`every source event of ${CONTAINERS} containers started and stopped has exactly one alert`, async (t) => {
    const events = engineEvents(label);
    await new Promise((r) => setTimeout(r, 500));
    const ids: string[] = [];
    // Ten at a time: the engine serializes little of this, the test stays short.
    for (let i = 0; i < names.length; i += 10) {
      ids.push(...(await Promise.all(names.slice(i, i + 10).map((n) => docker("run", "-d", "--label", label, "--name", n, busyboxImage(), "sleep", "300")))));
    }
    for (let i = 0; i < names.length; i += 10) await Promise.all(names.slice(i, i + 10).map((n) => docker("stop", "-t", "0", n)));
    // The engine's own list: stop is the last event of each container.
    await waitFor("docker events to print every stop", async () => [...events.lines].filter((l) => l.split(" ")[1] === "stop").length === CONTAINERS, 30_000);
    events.stop();
    const source = [...events.lines];
    // create, start, kill (one or two), die, stop each give one alert (87901, 87903, 87924 for kill and die, 87904).
    assert.ok(source.length >= CONTAINERS * 5, `${source.length} source events`);

    const key = (actor: string, action: string, nano: string) => `${actor} ${action} ${nano}`;
    const found = await waitFor(
      `${source.length} alerts`,
      async () => {
        const hits = await stack.alertsWhere("data.docker.Actor.ID", ids, 2000);
        return hits.length >= source.length ? hits : undefined;
      },
      120_000,
      1000,
    ).catch(async (err: Error) => {
      const hits = await stack.alertsWhere("data.docker.Actor.ID", ids, 2000).catch(() => []);
      throw new Error(`${err.message} (have ${hits.length})\n${stack.tail()}`);
    });
    const perEvent = new Map<string, number>();
    for (const h of found) {
      const d = h.doc.data.docker;
      const k = key(d.Actor.ID, d.Action, d.timeNano);
      perEvent.set(k, (perEvent.get(k) ?? 0) + 1);
    }
    const missing = source.filter((s) => !perEvent.has(s));
    const duplicated = [...perEvent].filter(([, n]) => n > 1).map(([k]) => k);
    const extra = [...perEvent.keys()].filter((k) => !events.lines.has(k));
    assert.deepEqual({ missing, duplicated, extra }, { missing: [], duplicated: [], extra: [] });
    assert.equal(found.length, source.length);
    assert.equal(new Set(found.map((h) => h._id)).size, found.length, "distinct alert ids");
    t.diagnostic(`${source.length} source events from docker events, ${found.length} alerts in Elasticsearch`);
  });
});

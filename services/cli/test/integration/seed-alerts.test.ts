import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { busyboxImage, docker, seedAlerts, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack, type TestStack } from "./stack.js";

// The seed's acceptance examples on the real stack: `docker start|stop|pause|unpause apache`
// produce the seed's four alert documents in Elasticsearch. Compared field by
// field with the seed's own documents (schemas/fixtures/seed, verbatim); only
// timestamp, id, agent/manager/cluster values, container id, image and times
// differ, and those come from this host (timeNano from the engine's own CLI).

interface AlertDoc {
  id: string;
  timestamp: string;
  rule: { level: number; description: string; id: string; mail: boolean; groups: string[] };
  agent: { id: string; name: string; ip: string };
  manager: { name: string };
  cluster: { name: string; node: string };
  full_log: string;
  decoder: { name: string };
  data: { integration: string; docker: Record<string, unknown> & { Actor: { ID: string; Attributes: Record<string, string> }; timeNano: string; time: string } };
  location: string;
}

/** Collects `docker events` TimeNano per action for one container, as the engine's CLI prints them. */
function engineTimes(name: string) {
  const times = new Map<string, string>();
  const cli = spawn("docker", ["events", "--filter", `container=${name}`, "--format", "{{.Action}} {{.TimeNano}}"], { stdio: ["ignore", "pipe", "inherit"] });
  cli.stdout.setEncoding("utf8");
  let buffered = "";
  cli.stdout.on("data", (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      const [action, nano] = line.trim().split(" ");
      if (action && nano && !times.has(action)) times.set(action, nano);
    }
  });
  return { times, stop: () => cli.kill() };
}

describe("the seed's four alerts, end to end", () => {
  const run = unique("seed");
  const container = "apache";
  const identity = { AGENT_ID: "002", AGENT_NAME: "agent001", AGENT_IP: "192.168.122.19", MANAGER_NAME: "localhost.localdomain", CLUSTER_NAME: "wazuh", CLUSTER_NODE: "master" };
  const seeds = seedAlerts();
  let stack: TestStack;

  before(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    stack = await startStack({ run, env: identity });
  });

  after(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    await stack.stop();
  });

  it("docker start, pause, unpause, stop apache give the seed's documents", async () => {
    const events = engineTimes(container);
    await new Promise((r) => setTimeout(r, 500));
    const id = await docker("create", "--name", container, busyboxImage(), "sleep", "300");
    await docker("start", container);
    await docker("pause", container);
    await docker("unpause", container);
    await docker("stop", "-t", "1", container);

    const found = await waitFor(
      "the four seed alerts",
      async () => {
        await stack.es.indices.refresh({ index: stack.alertsIndex });
        const res = await stack.es.search({
          index: stack.alertsIndex,
          size: 20,
          query: { bool: { filter: [{ term: { "data.docker.Actor.ID": id } }, { terms: { "rule.id": ["87903", "87904", "87905", "87906"] } }] } },
        });
        const docs = res.hits.hits.map((h) => h._source as AlertDoc);
        return docs.length >= 4 ? docs : undefined;
      },
      120_000,
      1000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${stack.tail()}`);
    });
    events.stop();
    assert.equal(found.length, 4, "exactly one alert per source event");

    for (const seed of seeds) {
      const expected = seed.document as unknown as AlertDoc;
      const actual = found.find((d) => d.rule.id === expected.rule.id);
      assert.ok(actual, `alert ${expected.rule.id} (${seed.action})`);
      // Equal to the seed's, field by field.
      assert.deepEqual(actual.rule, expected.rule);
      assert.deepEqual(actual.decoder, expected.decoder);
      assert.equal(actual.location, expected.location);
      assert.equal(actual.data.integration, expected.data.integration);
      assert.deepEqual(actual.agent, expected.agent, "agent from this collector's AGENT_* settings");
      assert.deepEqual(actual.manager, expected.manager);
      assert.deepEqual(actual.cluster, expected.cluster);
      for (const key of ["status", "Type", "Action"]) assert.equal(actual.data.docker[key], expected.data.docker[key], `data.docker.${key}`);
      assert.equal(actual.data.docker.Actor.Attributes.name, "apache");
      const ourLog = JSON.parse(actual.full_log) as { integration: string; docker: Record<string, unknown> };
      const seedLog = JSON.parse(expected.full_log) as { integration: string; docker: Record<string, unknown> };
      assert.equal(ourLog.integration, seedLog.integration);
      for (const key of Object.keys(seedLog.docker)) assert.ok(key in ourLog.docker, `full_log.docker has the seed's key ${key}`);
      assert.ok(actual.full_log.includes(`"timeNano": ${events.times.get(seed.action)}`), "full_log carries the engine's digits");
      // From this host: the container, the image, the times.
      assert.equal(actual.data.docker.id, id);
      assert.equal(actual.data.docker.Actor.ID, id);
      assert.equal(actual.data.docker.from, busyboxImage());
      assert.equal(actual.data.docker.timeNano, events.times.get(seed.action), `timeNano of ${seed.action} as docker events printed it`);
      assert.equal(actual.data.docker.time, actual.data.docker.timeNano.slice(0, -9));
      assert.match(actual.id, new RegExp(`^${actual.data.docker.time}\\.\\d+$`));
      assert.match(actual.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}$/);
    }
  });
});

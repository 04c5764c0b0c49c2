import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack, type TestStack } from "./stack.js";

// The walking skeleton, end to end on the real stack: a real `docker run` on
// the local engine becomes an alert document in the real Elasticsearch,
// through the four real service binaries and the real Kafka.

/** The TimeNano the engine's own CLI prints for the container's start event. */
function engineStartTimeNano(name: string): { result: Promise<string>; stop: () => void } {
  const cli = spawn("docker", ["events", "--filter", `container=${name}`, "--filter", "event=start", "--format", "{{.TimeNano}}"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const result = new Promise<string>((resolve, reject) => {
    let out = "";
    cli.stdout.setEncoding("utf8");
    cli.stdout.on("data", (chunk: string) => {
      out += chunk;
      const line = out.split("\n")[0];
      if (out.includes("\n") && line) resolve(line.trim());
    });
    cli.once("exit", () => reject(new Error("docker events ended before the start event")));
  });
  return { result, stop: () => cli.kill() };
}

describe("walking skeleton: docker start -> alert in Elasticsearch", () => {
  const run = unique("e2e");
  const container = "apache";
  let stack: TestStack;
  const identity = {
    AGENT_ID: "002",
    AGENT_NAME: "agent001",
    MANAGER_NAME: "localhost.localdomain",
    CLUSTER_NAME: "wazuh",
    CLUSTER_NODE: "master",
    LOG_LEVEL: "info",
  };

  before(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    stack = await startStack({ run, env: identity });
  });

  after(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    await stack.stop();
  });

  it("finds the 87903 alert with the engine's exact timeNano", async () => {
    const events = engineStartTimeNano(container);
    await new Promise((r) => setTimeout(r, 500)); // let `docker events` subscribe
    const id = await docker("run", "-d", "--name", container, busyboxImage(), "sleep", "300");
    const timeNano = await events.result;
    events.stop();

    const hit = await waitFor(
      "the alert in Elasticsearch",
      async () => {
        const res = await stack.es.search({
          index: stack.alertsIndex,
          query: { bool: { filter: [{ term: { "rule.id": "87903" } }, { term: { "data.docker.Actor.ID": id } }] } },
        });
        return res.hits.hits[0];
      },
      90_000,
      1000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${stack.tail()}`);
    });

    // The alert document as the sink indexed it (the seed's shape).
    const doc = hit._source as {
      id: string;
      rule: { id: string; description: string; level: number; groups: string[] };
      location: string;
      decoder: { name: string };
      data: { integration: string; docker: { timeNano: string; Actor: { Attributes: Record<string, string> } } };
      agent: { name: string };
      manager: { name: string };
      full_log: string;
    };
    assert.equal(doc.rule.id, "87903");
    assert.equal(doc.rule.description, "Container apache started");
    assert.equal(doc.rule.level, 3);
    assert.deepEqual(doc.rule.groups, ["docker"]);
    assert.equal(doc.location, "Wazuh-Docker");
    assert.equal(doc.decoder.name, "json");
    assert.equal(doc.data.integration, "docker");
    assert.equal(doc.data.docker.timeNano, timeNano, "timeNano as the engine's CLI printed it");
    assert.equal(doc.data.docker.Actor.Attributes.name, "apache");
    assert.equal(doc.agent.name, "agent001");
    assert.equal(doc.manager.name, "localhost.localdomain");
    assert.equal(hit._id, doc.id, "_id is the alert id");
    assert.match(hit._index, new RegExp(`^${stack.alertsIndex.replace(/[.]/g, "\\.")}-\\d{4}\\.\\d{2}\\.\\d{2}$`), "a daily index <SINK_INDEX_PREFIX>-YYYY.MM.DD");
    assert.ok(doc.full_log.includes(`"timeNano": ${timeNano}`), "full_log carries the engine's digits");
  });

  it("every service stops cleanly on SIGTERM", async () => {
    const codes: Array<number | NodeJS.Signals> = [];
    for (const s of [...stack.services].reverse()) codes.push(await s.stop());
    assert.deepEqual(codes, [0, 0, 0, 0], stack.tail(20));
  });
});

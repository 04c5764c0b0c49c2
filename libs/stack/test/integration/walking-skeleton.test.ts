import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { Client } from "@elastic/elasticsearch";
import { busyboxImage, docker, infra, unique, waitFor } from "@dockwatch/test-helpers";
import { SERVICES, spawnService, type ServiceProcess } from "../../src/index.js";

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
  const env = {
    TOPIC_RAW: `${run}.raw`,
    TOPIC_DECODED: `${run}.decoded`,
    TOPIC_ALERTS: `${run}.alerts`,
    DECODER_CONSUMER_GROUP: `${run}-decoder`,
    RULES_CONSUMER_GROUP: `${run}-rules`,
    SINK_CONSUMER_GROUP: `${run}-sink`,
    REDIS_KEY_PREFIX: `${run}:`,
    TOPIC_DLQ: `${run}.dlq`,
    AGENT_ID: "002",
    AGENT_NAME: "agent001",
    MANAGER_NAME: "localhost.localdomain",
    CLUSTER_NAME: "wazuh",
    CLUSTER_NODE: "master",
    LOG_LEVEL: "info",
  };
  const es = new Client({ node: infra.elasticsearchUrl });
  const services: ServiceProcess[] = [];
  const output: string[] = [];

  before(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    let port = 19481;
    for (const name of [...SERVICES].reverse()) {
      const s = spawnService(name, { env, healthPort: port++, onLine: (svc, line) => output.push(`${svc} | ${line}`) });
      services.push(s);
      await s.waitReady().catch((err: Error) => {
        throw new Error(`${err.message}\n${output.slice(-30).join("\n")}`);
      });
    }
  });

  after(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    await Promise.all(services.map((s) => s.stop()));
    await es.close();
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
        const res = await es.search({
          index: "dockwatch-alerts",
          query: { bool: { filter: [{ term: { "rule.id": "87903" } }, { term: { "data.docker.Actor.ID": id } }] } },
        });
        return res.hits.hits[0];
      },
      90_000,
      1000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.slice(-40).join("\n")}`);
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
    assert.match(hit._index, /^dockwatch-alerts-\d{4}\.\d{2}\.\d{2}$/);
    assert.ok(doc.full_log.includes(`"timeNano": ${timeNano}`), "full_log carries the engine's digits");
  });

  it("every service stops cleanly on SIGTERM", async () => {
    const codes = await Promise.all([...services].reverse().map((s) => s.stop()));
    assert.deepEqual(codes, [0, 0, 0, 0], output.slice(-20).join("\n"));
  });
});

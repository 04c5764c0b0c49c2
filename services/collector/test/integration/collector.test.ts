import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunningService } from "@dockwatch/runtime";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { EngineWitness, newWorld, readRawDuringSuite, sleepMs, startInProcess, summary } from "./harness.js";

const world = newWorld();
const image = busyboxImage();

/** `docker <args>` with `input` on its stdin (secret and config values). */
async function dockerWithInput(args: string[], input: string): Promise<string> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    const child = spawn("docker", args, { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.once("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`docker ${args.join(" ")} exited ${code}`))));
    child.stdin.end(input);
  });
}
const countBy = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());

describe("collector against the real engine and Kafka", () => {
  const reader = readRawDuringSuite(world);

  it("publishes each engine event in order per actor, timeNano as docker events prints it; two agents give two streams", async () => {
    const envA = world.collectorEnv(unique("agent-a"));
    const envB = world.collectorEnv(unique("agent-b"));
    const [a, b] = await Promise.all([startInProcess(envA), startInProcess(envB)]);
    const witness = await EngineWitness.start();
    const name = unique("dw-col");
    const volume = unique("dw-col-vol");
    const network = unique("dw-col-net");
    const tag = `dwtest/${unique("img")}:1`;
    let id = "";
    let networkId = "";
    try {
      id = await docker("run", "-d", "--name", name, image, "sleep", "300");
      await docker("pause", name);
      await docker("unpause", name);
      await docker("exec", name, "sh", "-c", "true");
      await docker("rename", name, `${name}-renamed`);
      await docker("stop", "-t", "1", `${name}-renamed`);
      await docker("start", `${name}-renamed`);
      await docker("kill", `${name}-renamed`);
      await docker("rm", `${name}-renamed`);
      await docker("volume", "create", volume);
      await docker("volume", "rm", volume);
      networkId = await docker("network", "create", network);
      await docker("network", "rm", network);
      await docker("image", "tag", image, tag);
      await docker("image", "rm", tag);
      const actors = new Set([id, volume, networkId]);
      const expected = () => witness.lines.filter((l) => actors.has(l.actor) || (l.type === "image" && l.name === tag)).map((l) => `${l.type} ${l.action} ${l.actor} ${l.timeNano}`);
      await waitFor("docker events to show the image untag", async () => witness.lines.some((l) => l.type === "image" && l.action === "untag") && expected().some((l) => l.startsWith("image tag")));
      const imageId = witness.lines.find((l) => l.type === "image" && l.name === tag)!.actor;
      const tagLine = expected().find((l) => l.startsWith("image tag"))!;
      const untag = witness.lines.find((l) => l.type === "image" && l.action === "untag" && l.actor === imageId && BigInt(l.timeNano) > BigInt(tagLine.split(" ")[3]!))!;
      const want = [...expected(), `image untag ${imageId} ${untag.timeNano}`];
      assert.ok(want.some((l) => l.includes("container exec_start")) && want.some((l) => l.includes("container rename")));
      const wantedKeys = new Set(want);
      for (const agentId of [envA.AGENT_ID!, envB.AGENT_ID!]) {
        const got = await waitFor(`all events for ${agentId}`, async () => {
          const mine = reader.records.filter((r) => r.value.agent.id === agentId && r.value.kind === "engine").map((r) => summary(r.value)).filter((s) => wantedKeys.has(s));
          return mine.length >= want.length ? mine : undefined;
        });
        // The engine's order per actor, its digits, once each.
        for (const actor of [id, volume, networkId, imageId]) {
          assert.deepEqual(got.filter((s) => s.split(" ")[2] === actor), want.filter((s) => s.split(" ")[2] === actor), `actor ${actor}`);
        }
      }
      const exec = reader.records.find((r) => r.value.agent.id === envA.AGENT_ID && r.value.event?.Action.startsWith("exec_start") && r.value.event.Actor.ID === id);
      assert.equal(exec?.key, id);
      assert.equal(exec?.value.inspect?.image, image, "exec carries the facts inspected at create/start");
      assert.equal(exec?.value.inspect?.privileged, false);
      assert.equal(exec?.value.agent.id, envA.AGENT_ID);
      assert.ok(exec?.value.engine.id && exec.value.engine.id !== "unknown");
      assert.ok(reader.records.some((r) => r.value.agent.id === envB.AGENT_ID && r.value.status?.message === "Connected to Docker service"));
    } finally {
      witness.stop();
      await docker("rm", "-f", `${name}-renamed`, name).catch(() => "");
      await Promise.all([a.stop("test done"), b.stop("test done")]);
    }
  });

  it("swarm objects: secret, config and service events reach the topic in order per actor", async () => {
    const env = world.collectorEnv();
    const collector = await startInProcess(env);
    const witness = await EngineWitness.start();
    const [secret, config, service] = [unique("dw-secret"), unique("dw-config"), unique("dw-svc")];
    const wasActive = (await docker("info", "--format", "{{.Swarm.LocalNodeState}}")) === "active";
    try {
      if (!wasActive) await docker("swarm", "init");
      const secretId = await dockerWithInput(["secret", "create", secret, "-"], "s3cr3t");
      const configId = await dockerWithInput(["config", "create", config, "-"], "key=value");
      // The image is local only: do not ask a registry for its digest.
      const serviceId = await docker("service", "create", "--detach", "--no-resolve-image", "--name", service, image, "sleep", "300");
      await docker("service", "rm", service);
      await docker("secret", "rm", secret);
      await docker("config", "rm", config);
      const actors = new Set([secretId, configId, serviceId]);
      const want = () => witness.lines.filter((l) => actors.has(l.actor)).map((l) => `${l.type} ${l.action} ${l.actor} ${l.timeNano}`);
      await waitFor("the engine's swarm events", async () => ["secret remove", "config remove", "service remove"].every((t) => want().some((l) => l.startsWith(t))));
      const got = await waitFor("the swarm events in the topic", async () => {
        const mine = reader.about(actors, env.AGENT_ID).map(summary);
        return mine.length >= want().length ? mine : undefined;
      });
      for (const actor of actors) {
        assert.deepEqual(got.filter((l) => l.split(" ")[2] === actor), want().filter((l) => l.split(" ")[2] === actor), `actor ${actor}`);
      }
      assert.deepEqual(new Set(got.map((l) => l.split(" ")[0])), new Set(["secret", "config", "service"]));
    } finally {
      witness.stop();
      await docker("service", "rm", service).catch(() => "");
      if (!wasActive) await docker("swarm", "leave", "--force").catch(() => "");
      await collector.stop("test done");
    }
  });

  it("gap: events that happen while the collector is stopped arrive after its restart, none twice", async () => {
    const env = world.collectorEnv();
    let collector: RunningService = await startInProcess(env);
    const witness = await EngineWitness.start();
    const names = Array.from({ length: 5 }, () => unique("dw-gap"));
    const ids: string[] = [];
    try {
      ids.push(await docker("create", "--name", names[0]!, image, "sleep", "300"));
      await waitFor("the first create", async () => reader.about(new Set(ids), env.AGENT_ID).length > 0);
      await collector.stop("gap test");
      // 20 container operations while nobody listens.
      for (const n of names.slice(1)) ids.push(await docker("create", "--name", n, image, "sleep", "300"));
      for (const n of names) await docker("start", n);
      for (const n of names) await docker("kill", n);
      for (const n of names.slice(0, 1)) await docker("rm", n);
      collector = await startInProcess(env);
      const actors = new Set(ids);
      const want = () => witness.lines.filter((l) => actors.has(l.actor)).map((l) => `${l.type} ${l.action} ${l.actor} ${l.timeNano}`);
      const got = await waitFor("every event once the collector is back", async () => {
        const mine = reader.about(actors, env.AGENT_ID).map(summary);
        return mine.length >= want().length && want().length >= 4 + 5 * 3 ? mine : undefined;
      });
      await sleepMs(1000); // a duplicate would arrive right behind
      const final = reader.about(actors, env.AGENT_ID).map(summary);
      assert.deepEqual([...countBy(final).values()].filter((n) => n > 1), [], "no event twice");
      assert.deepEqual(new Set(final), new Set(want()));
      assert.equal(got.length, want().length);
      assert.equal(reader.records.filter((r) => r.value.agent.id === env.AGENT_ID && r.value.kind === "gap").length, 0, "no history lost");
    } finally {
      witness.stop();
      await docker("rm", "-f", ...names).catch(() => "");
      await collector.stop("test done");
    }
  });
});

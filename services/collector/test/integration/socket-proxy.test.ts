import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { RunningService } from "@dockwatch/runtime";
import { busyboxImage, docker as dockerCli, unique, waitFor } from "@dockwatch/test-helpers";
import { newWorld, readRawDuringSuite, startInProcess } from "./harness.js";

// A read-only view of the Docker API for the collector (issue 14, README
// "A read-only Docker API for the collector"): infra/docker-proxy/haproxy.cfg
// in front of the real engine. The collector, given only the proxy's socket,
// does all its work (events, container and exec inspect, list, info,
// version) without one refused request; everything else (create, exec
// create, logs, images, secrets, delete, an upgrade, a ".." path) is refused.

const CONFIG = fileURLToPath(new URL("../../../../infra/docker-proxy/haproxy.cfg", import.meta.url));
const ENGINE_SOCKET = "/var/run/docker.sock";
/** The docker CLI on the engine itself: the process's DOCKER_HOST points at the proxy, for the collector. */
const docker = (...args: string[]) => dockerCli("-H", `unix://${ENGINE_SOCKET}`, ...args);

interface Answer {
  status: number;
  body: string;
}

function call(socketPath: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      { socketPath, method, path, headers: { ...(body ? { "content-type": "application/json" } : {}), ...opts.headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("the collector through a read-only Docker API proxy (HAProxy, real engine)", () => {
  const dir = mkdtempSync(join(tmpdir(), "docker-proxy-"));
  const proxySocket = join(dir, "docker.sock");
  const log: string[] = [];
  const world = newWorld();
  const reader = readRawDuringSuite(world);
  const name = unique("proxied");
  let haproxy: ChildProcess;
  let collector: RunningService | undefined;
  let api = "";

  before(async () => {
    haproxy = spawn("haproxy", ["-W", "-db", "-f", CONFIG], {
      env: { ...process.env, DOCKER_SOCKET: ENGINE_SOCKET, DOCKER_PROXY_SOCKET: proxySocket },
      stdio: ["ignore", "pipe", "pipe"],
    });
    haproxy.on("error", (err) => log.push(`spawn failed: ${err.message} (infra/local up installs haproxy)`));
    for (const stream of [haproxy.stdout!, haproxy.stderr!]) stream.on("data", (b: Buffer) => log.push(...b.toString().split("\n").filter(Boolean)));
    await waitFor("the proxy's socket", async () => existsSync(proxySocket) && (await call(proxySocket, "GET", "/_ping").then((a) => a.status === 200, () => false)), 15_000, 100).catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${log.join("\n")}`);
      },
    );
    api = `/v${(JSON.parse((await call(proxySocket, "GET", "/version")).body) as { ApiVersion: string }).ApiVersion}`;
  });
  after(async () => {
    await collector?.stop("test done");
    await docker("rm", "-f", name).catch(() => undefined);
    haproxy?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("collects a container's start and an exec, with their inspect facts, and the proxy refused none of its requests", async () => {
    // dockerode (docker-modem) reads DOCKER_HOST from the process environment; this file runs in its own process.
    process.env.DOCKER_HOST = `unix://${proxySocket}`;
    collector = await startInProcess(world.collectorEnv());
    const id = await docker("run", "-d", "--name", name, busyboxImage(), "sleep", "300");
    await docker("exec", "-u", "nobody", name, "true");
    const records = () => reader.about(new Set([id]));
    await waitFor("the start and the exec, inspected through the proxy", async () => {
      const list = records();
      return list.some((r) => r.event?.Action === "start" && r.inspect) && list.some((r) => r.event?.Action.startsWith("exec_start") && r.execInspect);
    }, 60_000);
    const start = records().find((r) => r.event?.Action === "start")!;
    assert.equal(start.inspect?.image, busyboxImage(), "container inspect went through the proxy");
    const exec = records().find((r) => r.event?.Action.startsWith("exec_start"))!;
    assert.equal(exec.execInspect?.user, "nobody", "exec inspect went through the proxy");
    await collector.stop("test done");
    collector = undefined;
    // The proxy logs each request as its response starts (option logasap), the events stream included.
    const requestLines = () => log.filter((l) => l.includes('"GET ') || l.includes('"POST ') || l.includes('"DELETE '));
    await waitFor("the events stream in the proxy's log", async () => requestLines().some((l) => l.includes(`${api}/events`)), 15_000, 100).catch(() => undefined);
    const requests = requestLines();
    assert.ok(requests.some((l) => l.includes(`${api}/events`)) && requests.some((l) => /\/containers\/[0-9a-f]+\/json/.test(l)), requests.join("\n"));
    const refused = requests.filter((l) => / 403 /.test(l));
    assert.deepEqual(refused, [], "every request the collector made is allowed");
  });

  it("refuses everything else: writes, exec create, logs, images, secrets, an upgrade, a .. segment", async () => {
    const id = await docker("inspect", "-f", "{{.Id}}", name);
    // An exec to inspect, created on the engine itself (the proxy refuses to create one).
    const created = await call(ENGINE_SOCKET, "POST", `${api}/containers/${id}/exec`, { body: { Cmd: ["true"] } });
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    const allowed: Array<[string, string]> = [
      ["GET", "/version"],
      ["GET", `${api}/info`],
      ["GET", `${api}/containers/json?all=1`],
      ["GET", `${api}/containers/${id}/json`],
      ["GET", `${api}/containers/${name}/json`],
      ["GET", `${api}/exec/${execId}/json`],
      ["GET", `${api}/events?since=1&until=2`],
    ];
    for (const [method, path] of allowed) assert.equal((await call(proxySocket, method, path)).status, 200, `${method} ${path}`);
    const refused: Array<[string, string, { body?: unknown; headers?: Record<string, string> }?]> = [
      ["POST", `${api}/containers/create?name=${name}-evil`, { body: { Image: busyboxImage(), Cmd: ["true"] } }],
      ["POST", `${api}/containers/${id}/exec`, { body: { Cmd: ["id"] } }],
      ["POST", `${api}/exec/${execId}/start`, { body: { Detach: true } }],
      ["POST", `${api}/containers/${id}/kill`],
      ["DELETE", `${api}/containers/${id}?force=1`],
      ["GET", `${api}/containers/${id}/logs?stdout=1`],
      ["GET", `${api}/containers/${id}/export`],
      ["GET", `${api}/images/json`],
      ["GET", `${api}/secrets`],
      ["GET", `${api}/volumes`],
      ["GET", `${api}/containers/${id}/json`, { headers: { connection: "Upgrade", upgrade: "tcp" } }],
      ["GET", `${api}/containers/../images/json`],
      ["GET", `${api}/containers/%2e%2e/json`],
    ];
    for (const [method, path, opts] of refused) assert.equal((await call(proxySocket, method, path, opts)).status, 403, `${method} ${path}`);
    assert.equal((await docker("ps", "-a", "--filter", `name=${name}-evil`, "-q")).trim(), "", "nothing was created");
    assert.equal((await docker("inspect", "-f", "{{.State.Running}}", name)).trim(), "true", "nothing was killed");
  });
});

// The bench's fleet simulator: a pure, seeded generator of what the
// collectors of N virtual hosts put on docker.events.raw. Each host has
// containers (compose and kubernetes names and labels, some with a
// healthcheck, a few with risky settings) that go through their lifecycle,
// get healthcheck probes and commands typed by people, beside image, network
// and volume events and the collector's heartbeats. The records are built by
// libs/docker-event's dockerEventRecord, as the collector builds them; the
// engine lines are the old API 1.41 format dockerd 20.10 writes (the format
// the fixtures and the chaos workload use). Same seed, same hosts, same
// sequence of times: the same records, byte for byte.
import type { ContainerFacts, DockerEvent, Engine, ExecFacts } from "@dockwatch/contracts";
import { dockerEventRecord, parseEngineLine, recordKey } from "@dockwatch/docker-event";
import { PLAIN_FACTS } from "@dockwatch/rule-engine/testing";
import { prng } from "@dockwatch/test-helpers";
import { engineLine, type Agent } from "../chaos/workload.js";

export interface FleetOptions {
  /** Virtual hosts (each its own agent and engine). */
  hosts: number;
  seed: number;
  /** Names of agents, engines and containers start with it (a run's own, so ids never collide across runs). */
  prefix: string;
  /** Containers each host starts with (default 12). */
  containersPerHost?: number;
  /** A heartbeat record per host after this many of its events (default 500). */
  heartbeatEvery?: number;
}

export interface FleetRecord {
  key: string;
  record: DockerEvent;
  /** Index of the virtual host. */
  host: number;
}


const IMAGES = ["nginx:1.27", "redis:7.2", "postgres:16", "node:20-alpine", "python:3.12-slim", "dockwatch/busybox:1.35.0", "grafana/grafana:11.1.0", "registry.k8s.io/pause:3.9"];
const SERVICES = ["web", "api", "worker", "db", "cache", "proxy", "metrics", "scheduler"];
const PROJECTS = ["shop", "billing", "search", "auth"];
const NAMESPACES = ["default", "payments", "monitoring", "kube-system"];
const HEALTHCHECKS: string[][] = [
  ["CMD-SHELL", "curl -fsS http://localhost:8080/healthz || exit 1"],
  ["CMD", "pg_isready", "-U", "postgres"],
  ["CMD", "redis-cli", "ping"],
  ["CMD-SHELL", "wget -q -O- http://localhost/ >/dev/null"],
];
/** What people type (docker exec): some harmless, some that the ruleset cares about (shells, secrets, recon). */
const COMMANDS: string[][] = [
  ["sh"],
  ["bash"],
  ["ls", "-la", "/app"],
  ["cat", "/etc/passwd"],
  ["ps", "aux"],
  ["env"],
  ["sh", "-c", "echo PASSWORD=hunter2 >/dev/null"],
  ["curl", "-s", "http://169.254.169.254/latest/meta-data/"],
  ["tail", "-n", "100", "/var/log/app.log"],
  ["python", "manage.py", "migrate"],
];

/** A plain container's facts (the rule engine's own plain case), restarted by its orchestrator. */
const PLAIN: ContainerFacts = { ...PLAIN_FACTS, restartPolicy: "unless-stopped" };

interface Container {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  facts: ContainerFacts;
  state: "none" | "created" | "running" | "exited";
  health: "starting" | "healthy" | "unhealthy";
}

interface Host {
  agent: Agent;
  engine: Engine;
  containers: Container[];
  pending: Array<(timeNano: bigint) => DockerEvent>;
  events: number;
  lastNano: bigint;
  serial: number;
}

const hex = (rand: () => number, n: number): string => {
  let s = "";
  while (s.length < n) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, "0");
  return s.slice(0, n);
};

/** The inspect facts of a new container: most plain, a few risky (privileged, the Docker socket, host network, root with SYS_ADMIN). */
function factsFor(rand: () => number, image: string, healthcheck: string[] | null): ContainerFacts {
  const f: ContainerFacts = { ...PLAIN, image, imageId: `sha256:${hex(rand, 64)}`, healthcheck };
  const r = rand();
  if (r < 0.02) f.privileged = true;
  else if (r < 0.04) f.mounts = [{ type: "bind", source: "/var/run/docker.sock", destination: "/var/run/docker.sock", readWrite: true }];
  else if (r < 0.06) f.networkMode = "host";
  else if (r < 0.08) f.capAdd = ["SYS_ADMIN"];
  else if (r < 0.3) f.mounts = [{ type: "volume", source: `/var/lib/docker/volumes/data${Math.floor(rand() * 9)}/_data`, destination: "/data", readWrite: true }];
  return f;
}

export class Fleet {
  private readonly rand: () => number;
  private readonly hosts: Host[];
  private readonly heartbeatEvery: number;

  constructor(private readonly opts: FleetOptions) {
    if (!(opts.hosts >= 1)) throw new Error("fleet: hosts must be at least 1");
    this.rand = prng(opts.seed);
    this.heartbeatEvery = opts.heartbeatEvery ?? 500;
    this.hosts = Array.from({ length: opts.hosts }, (_, h) => {
      const name = `${opts.prefix}-h${h}`;
      const host: Host = {
        agent: { id: name, name, ip: `10.${(h >> 8) & 255}.${h & 255}.10` },
        engine: { id: `${hex(this.rand, 4)}:${hex(this.rand, 4)}:${name}`.toUpperCase(), hostname: name, version: "20.10.24", apiVersion: "1.41" },
        containers: [],
        pending: [],
        events: 0,
        lastNano: 0n,
        serial: 0,
      };
      for (let i = 0; i < (opts.containersPerHost ?? 12); i++) host.containers.push(this.newContainer(host));
      return host;
    });
  }

  /** The next record of a host picked at random, at event time `timeNano` (kept strictly increasing per host). */
  next(timeNano: bigint): FleetRecord {
    const h = Math.floor(this.rand() * this.hosts.length);
    const host = this.hosts[h]!;
    const t = timeNano > host.lastNano ? timeNano : host.lastNano + 1n;
    host.lastNano = t;
    host.events++;
    if (host.events % this.heartbeatEvery === 0) {
      const record = dockerEventRecord({ agent: host.agent, engine: host.engine, receivedAtNano: t }, { kind: "status", status: { state: "heartbeat", message: "Docker service connected" } });
      return { key: recordKey(record), record, host: h };
    }
    if (host.pending.length === 0) this.plan(host);
    const record = host.pending.shift()!(t);
    return { key: recordKey(record), record, host: h };
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rand() * list.length)]!;
  }

  private newContainer(host: Host): Container {
    const n = host.serial++;
    const id = hex(this.rand, 64);
    const service = this.pick(SERVICES);
    const image = this.pick(IMAGES);
    let name: string;
    let labels: Record<string, string>;
    if (this.rand() < 0.5) {
      const project = this.pick(PROJECTS);
      name = `${this.opts.prefix}-${project}-${service}-${n}`;
      labels = { "com.docker.compose.project": project, "com.docker.compose.service": service, "com.docker.compose.container-number": String(n), "com.docker.compose.version": "2.29.1" };
    } else {
      const ns = this.pick(NAMESPACES);
      const pod = `${service}-${hex(this.rand, 10)}-${hex(this.rand, 5)}`;
      name = `k8s_${service}_${pod}_${ns}_${this.opts.prefix}-${n}_0`;
      labels = { "io.kubernetes.pod.name": pod, "io.kubernetes.pod.namespace": ns, "io.kubernetes.container.name": service, "io.kubernetes.pod.uid": hex(this.rand, 32) };
    }
    const healthcheck = this.rand() < 0.6 ? this.pick(HEALTHCHECKS) : null;
    return { id, name, image, labels, facts: factsFor(this.rand, image, healthcheck), state: "none", health: "starting" };
  }

  /** Queues the next activity of a host: one to a few events. */
  private plan(host: Host): void {
    const c = this.pick(host.containers);
    const r = this.rand();
    if (c.state !== "running") return this.lifecycle(host, c);
    if (c.facts.healthcheck && r < 0.55) return this.probe(host, c);
    if (r < 0.7) return this.exec(host, c, this.pick(COMMANDS));
    if (r < 0.8) return this.lifecycle(host, c);
    if (r < 0.86) return this.network(host, c);
    if (r < 0.92) return this.volume(host, c);
    return this.image(host);
  }

  private containerEvent(host: Host, c: Container, action: string, extra: Record<string, string> = {}, exec: ExecFacts | null = null, gone = false) {
    const attributes = { ...c.labels, image: c.image, name: c.name, ...extra };
    return (t: bigint) => this.record(host, engineLine("container", action, c.id, attributes, t), t, { inspect: gone ? null : c.facts, execInspect: exec });
  }

  private record(host: Host, line: string, t: bigint, found: Partial<DockerEvent>): DockerEvent {
    // The collector stamps its receipt a little after the engine's time.
    return dockerEventRecord({ agent: host.agent, engine: host.engine, receivedAtNano: t + 150_000n }, { kind: "engine", event: parseEngineLine(line), raw: line, ...found });
  }

  private lifecycle(host: Host, c: Container): void {
    const q = host.pending;
    if (c.state === "none") {
      q.push(this.containerEvent(host, c, "create"), this.containerEvent(host, c, "start"));
      c.state = "running";
    } else if (c.state === "created" || c.state === "exited") {
      if (this.rand() < 0.3) {
        // Removed and replaced by a new container (a deploy).
        q.push(this.containerEvent(host, c, "destroy", {}, null, true));
        host.containers[host.containers.indexOf(c)] = this.newContainer(host);
      } else {
        q.push(this.containerEvent(host, c, "start"));
        c.state = "running";
      }
    } else {
      const crash = this.rand() < 0.25;
      if (crash) q.push(this.containerEvent(host, c, "die", { exitCode: String(1 + Math.floor(this.rand() * 137)) }));
      else q.push(this.containerEvent(host, c, "kill", { signal: "15" }), this.containerEvent(host, c, "die", { exitCode: "0" }), this.containerEvent(host, c, "stop"));
      c.state = "exited";
      c.health = "starting";
    }
  }

  /** A healthcheck probe as the engine reports it: exec_create, exec_start, exec_die, and a health_status when it changes. */
  private probe(host: Host, c: Container): void {
    const test = c.facts.healthcheck!;
    const argv = test[0] === "CMD-SHELL" ? ["/bin/sh", "-c", test.slice(1).join(" ")] : test.slice(1);
    const failed = this.rand() < 0.03;
    this.execEvents(host, c, argv, failed ? "1" : "0");
    const next = failed ? "unhealthy" : "healthy";
    if (next !== c.health) {
      c.health = next;
      host.pending.push(this.containerEvent(host, c, `health_status: ${next}`));
    }
  }

  private exec(host: Host, c: Container, argv: string[]): void {
    this.execEvents(host, c, argv, "0", this.rand() < 0.1 ? "0" : "");
  }

  private execEvents(host: Host, c: Container, argv: string[], exitCode: string, user = ""): void {
    const execID = hex(this.rand, 64);
    const facts: ExecFacts = { id: execID, user, privileged: false, tty: argv.length === 1, entrypoint: argv[0]!, arguments: argv.slice(1) };
    const command = argv.join(" ");
    host.pending.push(
      this.containerEvent(host, c, `exec_create: ${command}`, { execID }, facts),
      this.containerEvent(host, c, `exec_start: ${command}`, { execID }, facts),
      this.containerEvent(host, c, "exec_die", { execID, exitCode }, facts),
    );
  }

  private network(host: Host, c: Container): void {
    const id = hex(this.rand, 64);
    const attributes = { container: c.id, name: this.rand() < 0.5 ? "bridge" : `${this.opts.prefix}_default`, type: "bridge" };
    const action = this.rand() < 0.5 ? "connect" : "disconnect";
    host.pending.push((t) => this.record(host, otherLine("network", action, id, attributes, t), t, { container: { id: c.id, name: c.name } }));
  }

  private volume(host: Host, c: Container): void {
    const name = `data${Math.floor(this.rand() * 9)}`;
    const action = this.pick(["mount", "unmount", "create", "destroy"]);
    const attributes: Record<string, string> = action === "mount" || action === "unmount" ? { container: c.id, destination: "/data", driver: "local", propagation: "", "read/write": "true" } : { driver: "local" };
    host.pending.push((t) => this.record(host, otherLine("volume", action, name, attributes, t), t, { container: attributes.container ? { id: c.id, name: c.name } : null }));
  }

  private image(host: Host): void {
    const image = this.pick(IMAGES);
    const action = this.pick(["pull", "pull", "tag", "untag", "delete"]);
    host.pending.push((t) => this.record(host, engineLine("image", action, image, { name: image.split(":")[0]! }, t), t, {}));
  }
}

/** A network or volume event line: the 1.41 engine writes no status/id/from for those. */
function otherLine(type: string, action: string, actorId: string, attributes: Record<string, string>, timeNano: bigint): string {
  const head = JSON.stringify({ Type: type, Action: action, Actor: { ID: actorId, Attributes: attributes }, scope: "local" });
  return `${head.slice(0, -1)},"time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}`;
}

/** Counts of event kinds/types/actions in a list of records (for the report and the tests). */
export function mix(records: DockerEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    const k = r.kind !== "engine" ? `${r.kind}` : `${r.event!.Type} ${r.event!.Action.split(":")[0]}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

// The bench's collector phase: the real collector (node
// services/collector/dist/main.js) following the local Docker engine into the
// run's own raw topic, while the bench makes a burst of activity on that
// engine (containers of the local busybox image labelled with the run,
// started, exec'ed many times, stopped, removed). The bench's own reader of
// the engine's event stream (GET /events filtered by the run's label, opened
// before the burst; the engine's history keeps only its last 256 events) says
// what the collector had to publish; the collector's records of those
// containers on the topic are checked against it, event by event. The rate is the collector's records from the first
// to the last Kafka timestamp: it can only follow the engine, so the delay
// from each event's engine time to its Kafka timestamp says whether it kept up.
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DockerEvent } from "@dockwatch/contracts";
import { busyboxImage } from "@dockwatch/test-helpers";
import { percentiles, rateOf, type Percentiles } from "./measure.js";
import { NotReady, type BenchWorld, type Usage } from "./world.js";

export interface CollectorResult {
  /** How long the burst ran. */
  seconds: number;
  /** Clients that made the activity at once. */
  workers: number;
  containers: number;
  execs: number;
  /** Events of the run's containers in the engine's history. */
  engineEvents: number;
  /** Of the collector's records, those of the run's containers. */
  published: number;
  duplicates: number;
  /** The run's records per second, first to last Kafka timestamp. */
  perSecond?: number;
  /** The engine's events per second over the burst. */
  engineRate: number;
  /** Engine event time → the record's Kafka timestamp, ms. */
  delay: Percentiles;
  usage: Usage[];
  check: { ok: boolean; detail: string };
}

export interface CollectorOptions {
  seconds: number;
  /** Clients making activity at once. */
  workers?: number;
  /** Execs per container before it is stopped and removed. */
  execsPerContainer?: number;
}

/** What people and healthchecks run in containers (busybox has each). */
const COMMANDS = [["true"], ["sh", "-c", "id"], ["cat", "/etc/passwd"], ["ls", "/"], ["ps"]];

type Api = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

const dockerHost = () => process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
function endpoint(host: string) {
  const u = new URL(host);
  return u.protocol === "unix:" ? { socketPath: u.pathname } : { host: u.hostname, port: Number(u.port || 2375) };
}

/** The Docker Engine API on DOCKER_HOST (unix:// or tcp://; default the local socket), JSON in and out. */
export function engineApi(host = dockerHost()): Api {
  const where = endpoint(host);
  return <T>(method: string, path: string, body?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ ...where, method, path, headers: data ? { "content-type": "application/json", "content-length": Buffer.byteLength(data) } : {} }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => {
          if ((res.statusCode ?? 500) >= 400) return reject(new Error(`${method} ${path}: ${res.statusCode} ${text.trim()}`));
          try {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } catch {
            resolve(text as T);
          }
        });
      });
      req.on("error", reject);
      req.end(data);
    });
}

/** The key of an engine event: the same in its JSON line and in the collector's record. */
export const eventKey = (e: { Actor: { ID: string }; Action: string; timeNano: string | number | bigint }) => `${e.Actor.ID}|${e.Action}|${e.timeNano}`;

/** Follows the engine's live events of `label` (one JSON object a line) until closed; resolves once the stream is open. */
function engineEvents(label: string, host = dockerHost()): Promise<{ keys: Set<string>; close(): void }> {
  const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
  const keys = new Set<string>();
  return new Promise((resolve, reject) => {
    const req = request({ ...endpoint(host), method: "GET", path: `/events?filters=${filters}` }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET /events: ${res.statusCode}`));
      let buffered = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        // timeNano beyond a double's precision: taken from the text, not the parsed number.
        for (const line of lines) {
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { Actor: { ID: string }; Action: string };
          keys.add(eventKey({ ...e, timeNano: /"timeNano":(\d+)/.exec(line)?.[1] ?? "" }));
        }
      });
      res.on("error", () => undefined);
      resolve({ keys, close: () => req.destroy() });
    });
    req.on("error", (err) => (keys.size === 0 ? reject(err) : undefined));
    req.end();
  });
}

export async function collectorPhase(world: BenchWorld, opts: CollectorOptions): Promise<CollectorResult> {
  const api = engineApi();
  await api("GET", "/_ping").catch((err: unknown) => {
    throw new NotReady(`the Docker engine is not answering at ${process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock"} (${(err as Error).message})`);
  });
  const image = busyboxImage();
  const labelKey = "dockwatch.bench";
  const label = `${labelKey}=${world.run}`;
  // Whatever the phase leaves (an interrupted run, a failed call) goes at the end.
  const removeMine = async () => {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const list = await api<Array<{ Id: string }>>("GET", `/containers/json?all=true&filters=${filters}`);
    await Promise.all(list.map((c) => api("DELETE", `/containers/${c.Id}?force=true`).catch(() => undefined)));
  };
  world.defer(removeMine);

  const topic = await world.topic("collector.raw");
  const stateDir = mkdtempSync(join(tmpdir(), `${world.run}-collector-`));
  const mine: Array<{ key: string; engineMs: number; kafkaMs: number }> = [];
  const consumer = world.clients.kafka.consumer({ groupId: `${world.run}-collector-read` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const r = await world.clients.codec.decode<DockerEvent>("DockerEvent", m.value!);
          const e = r.event;
          if (e?.Actor.Attributes[labelKey] !== world.run) continue;
          mine.push({ key: eventKey(e), engineMs: Number(BigInt(e.timeNano) / 1000n) / 1000, kafkaMs: Number(m.timestamp) });
        }
      },
    });
    const [collector] = await world.start([{ name: "collector", label: "collector#0", env: { TOPIC_RAW: topic, COLLECTOR_STATE_DIR: stateDir, DOCKER_HOST: process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock" } }], "collector");
    let usage: Usage[] = [];
    let containers = 0;
    let execs = 0;
    const workers = opts.workers ?? 3;
    const engine = await engineEvents(label);
    const started = performance.now();
    try {
      const until = Date.now() + opts.seconds * 1000;
      const perContainer = opts.execsPerContainer ?? 25;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          for (let n = 0; Date.now() < until && !world.closing; n++) {
            const { Id } = await api<{ Id: string }>("POST", `/containers/create?name=${world.run}-c${w}-${n}`, { Image: image, Cmd: ["sleep", "3600"], Labels: { [labelKey]: world.run, "com.docker.compose.project": "bench", "com.docker.compose.service": `worker${w}` } });
            containers++;
            await api("POST", `/containers/${Id}/start`);
            for (let i = 0; i < perContainer && Date.now() < until; i++) {
              const exec = await api<{ Id: string }>("POST", `/containers/${Id}/exec`, { Cmd: COMMANDS[(n + i) % COMMANDS.length], AttachStdout: false, AttachStderr: false });
              await api("POST", `/exec/${exec.Id}/start`, { Detach: true });
              execs++;
            }
            await api("POST", `/containers/${Id}/stop?t=0`);
            await api("DELETE", `/containers/${Id}`);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      // The last events (an exec's exit) come a moment after the last call; then the history is complete.
      await new Promise((r) => setTimeout(r, 1500));
      engine.close();
      const engineEvents = engine.keys.size;
      const deadline = Date.now() + 60_000;
      const unseen = () => {
        const have = new Set(mine.map((m) => m.key));
        return [...engine.keys].some((k) => !have.has(k));
      };
      while (unseen() && Date.now() < deadline) {
        if (collector!.process.child.exitCode !== null) throw new Error(`the collector exited during the collector phase\n${world.output.slice(-20).join("\n")}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      usage = await world.stop([collector!]);
      const keys = new Set(mine.map((m) => m.key));
      const duplicates = mine.length - keys.size;
      const missing = [...engine.keys].filter((k) => !keys.has(k)).length;
      const extra = [...keys].filter((k) => !engine.keys.has(k)).length;
      const { perSecond } = rateOf(mine.length, mine.map((m) => m.kafkaMs));
      const ok = missing === 0 && extra === 0 && duplicates === 0;
      return {
        seconds,
        workers,
        containers,
        execs,
        engineEvents,
        published: mine.length,
        duplicates,
        perSecond,
        engineRate: engineEvents / seconds,
        delay: percentiles(mine.map((m) => m.kafkaMs - m.engineMs)),
        usage,
        check: { ok, detail: `${mine.length.toLocaleString("en")} records for the ${engineEvents.toLocaleString("en")} events the engine streamed for the run's containers: ${missing} missing, ${duplicates} duplicated, ${extra} not streamed by the engine` },
      };
    } finally {
      engine.close();
      if (collector!.process.child.exitCode === null) await world.stop([collector!]).catch(() => undefined);
      await removeMine().catch(() => undefined);
    }
  } finally {
    await consumer.disconnect();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

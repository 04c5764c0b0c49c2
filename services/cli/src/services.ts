import { spawn, type ChildProcess } from "node:child_process";
import { parseEnv, port } from "@dockwatch/config";
import { HEALTH_PORTS } from "@dockwatch/contracts";
import { join } from "node:path";
import { formatLogLine } from "./format.js";
import { repoRoot } from "./paths.js";

export const SERVICES = ["collector", "decoder", "rules", "sink"] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The services' own default HEALTH_PORTs (libs/contracts topology), which `dockwatch up` and `status` use. */
export const DEFAULT_PORTS: Record<ServiceName, number> = HEALTH_PORTS;

/**
 * The health ports `dockwatch up` gives the services and `status` asks:
 * COLLECTOR_HEALTH_PORT, DECODER_HEALTH_PORT, RULES_HEALTH_PORT,
 * SINK_HEALTH_PORT, each defaulting to the topology's port (a second `up`
 * beside `npm start`, a test).
 */
export function healthPorts(env: NodeJS.ProcessEnv): Record<ServiceName, number> {
  const v = parseEnv(
    {
      COLLECTOR_HEALTH_PORT: port(DEFAULT_PORTS.collector),
      DECODER_HEALTH_PORT: port(DEFAULT_PORTS.decoder),
      RULES_HEALTH_PORT: port(DEFAULT_PORTS.rules),
      SINK_HEALTH_PORT: port(DEFAULT_PORTS.sink),
    },
    env,
  );
  return { collector: v.COLLECTOR_HEALTH_PORT, decoder: v.DECODER_HEALTH_PORT, rules: v.RULES_HEALTH_PORT, sink: v.SINK_HEALTH_PORT };
}

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  healthPort: number;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals>;
  /** Polls /readyz until it answers 200, or throws after timeoutMs. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, then waits for a clean exit (SIGKILL after timeoutMs). */
  stop(timeoutMs?: number): Promise<number | NodeJS.Signals>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  healthPort?: number;
  /** Receives every output line of the service (default: prefixed on this process's stdout). */
  onLine?: (service: ServiceName, line: string) => void;
  /** Node flags before the script, e.g. `--cpu-prof` (the bench's profiles). */
  execArgv?: string[];
  /** The checkout whose `services/<name>/dist/main.js` runs (default this one: the bench compares builds with it). */
  root?: string;
}

/** Starts `services/<name>/dist/main.js` in its own process (the real binary, as deployed). */
export function spawnService(name: ServiceName, opts: SpawnOptions = {}): ServiceProcess {
  const healthPort = opts.healthPort ?? DEFAULT_PORTS[name];
  const child = spawn(process.execPath, [...(opts.execArgv ?? []), join(opts.root ?? repoRoot, "services", name, "dist/main.js")], {
    env: { ...process.env, ...opts.env, HEALTH_PORT: String(healthPort) },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C reaches only the supervisor, which then
    // stops each service once, with SIGTERM.
    detached: true,
  });
  // If the supervisor dies, take the services down with it.
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  const onLine = opts.onLine ?? ((service, line) => process.stdout.write(`${formatLogLine(service, line)}\n`));
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(name, line);
    });
  }
  const exited = new Promise<number | NodeJS.Signals>((resolveExit) =>
    child.once("exit", (code, signal) => {
      process.removeListener("exit", killOnExit);
      resolveExit(code ?? signal ?? 0);
    }),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  return {
    name,
    child,
    healthPort,
    exited,
    async waitReady(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (gone) throw new Error(`${name} exited before it was ready (exit ${String(await exited)})`);
        try {
          const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`${name} not ready on :${healthPort} within ${timeoutMs} ms`);
    },
    async stop(timeoutMs = 30_000) {
      if (!gone) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

import { classify } from "@dockwatch/errors";
import { createHealthServer } from "./health.js";
import type { Logger } from "./logger.js";
import { Metrics } from "./metrics.js";

/** A started/stopped part of a service: a producer, a consumer, a watcher. No I/O before start(). */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ready for traffic; defaults to "started". */
  ready?(): boolean;
}

export interface ServiceOptions {
  name: string;
  logger: Logger;
  healthPort: number;
  /** Started in order (downstream first: producer before consumer), stopped in reverse. */
  components: Component[];
  metrics?: Metrics;
  /** Give up a stop that hangs (a wedged broker connection) after this many ms. */
  stopTimeoutMs?: number;
}

export interface RunningService {
  stop(reason: string): Promise<void>;
  readonly stopped: Promise<void>;
  readonly healthPort: number;
}

/**
 * Starts the components in order behind a health server and stops them in
 * reverse on SIGTERM/SIGINT: the in-flight batch finishes and is committed
 * before the consumer disconnects (each component's stop() owns that).
 */
export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { name, logger, components } = opts;
  const metrics = opts.metrics ?? new Metrics(name.replace(/\W/g, "_"));
  const started: Component[] = [];
  let stopping: Promise<void> | undefined;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const health = createHealthServer(
    opts.healthPort,
    () => !stopping && started.length === components.length && components.every((c) => c.ready?.() ?? true),
    metrics,
  );

  async function stopAll(reason: string): Promise<void> {
    stopping ??= (async () => {
      logger.info({ reason }, `${name}: stopping`);
      for (const c of [...started].reverse()) {
        const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), opts.stopTimeoutMs ?? 30_000).unref());
        try {
          const outcome = await Promise.race([c.stop().then(() => "ok" as const), timeout]);
          if (outcome === "timeout") logger.warn(`${name}: ${c.name} did not stop in time; leaving it`);
        } catch (err) {
          logger.error({ err }, `${name}: ${c.name} failed to stop cleanly`);
        }
      }
      await health.stop();
      logger.info(`${name}: stopped`);
      resolveStopped();
    })();
    return stopping;
  }

  await health.start();
  for (const c of components) {
    try {
      await c.start();
      started.push(c);
      logger.debug(`${name}: ${c.name} started`);
    } catch (err) {
      await stopAll(`${c.name} failed to start`);
      throw err;
    }
  }
  logger.info({ healthPort: health.port }, `${name}: running; health on http://localhost:${health.port}/healthz`);
  return { stop: stopAll, stopped, healthPort: health.port };
}

/**
 * Entry point of a service binary: the one place that turns a bad setting or a
 * failed start into one line and an exit code, and signals into a clean stop.
 */
export function runMain(name: string, main: () => Promise<RunningService>): void {
  let service: RunningService | undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`${name}: second ${signal}, exiting without a clean stop\n`);
      process.exit(130);
    }
    if (!service) process.exit(0);
    void service.stop(signal).then(() => process.exit(0));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  main().then(
    (s) => {
      service = s;
    },
    (err: unknown) => {
      const e = err as Error;
      // ConfigError and startup errors carry a complete one-line message.
      const config = classify(err) === "config";
      process.stderr.write(`${name}: ${config ? "bad configuration: " : "cannot start: "}${e?.message ?? String(err)}\n`);
      process.exit(config ? 2 : 1);
    },
  );
}

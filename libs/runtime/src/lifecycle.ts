import { classify, redactCredentials } from "@dockwatch/errors";
import { createHealthServer } from "./health.js";
import type { Logger } from "./logger.js";
import { Metrics } from "./metrics.js";

/** What a running component may tell the service it belongs to. */
export interface ComponentContext {
  /**
   * The component cannot go on: an error no retry fixed (a bug, not a bad
   * record or an outage). The service logs `message` once with `err` and its
   * stack, stops every component, and its `stopped` promise rejects with `err`
   * (runMain exits non-zero).
   */
  fatal(err: unknown, message: string): void;
}

/** A started/stopped part of a service: a producer, a consumer, a watcher. No I/O before start(). */
export interface Component {
  readonly name: string;
  /** `ctx` is given by startService; a component started on its own (a test) gets none. */
  start(ctx?: ComponentContext): Promise<void>;
  stop(): Promise<void>;
  /** Ready for traffic; defaults to "started". */
  ready?(): boolean;
  /** Why it is not ready, when it knows (Elasticsearch refusing writes): shown on /readyz and by `dockwatch status`. */
  detail?(): string | undefined;
}

/** Something runMain stops after the service stopped (telemetry: it must see every component's last spans). */
export interface Stoppable {
  readonly name: string;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  logger: Logger;
  healthPort: number;
  /**
   * The address /healthz, /readyz and /metrics listen on: loopback unless
   * configured otherwise (HEALTH_HOST), so a service does not expose its
   * metrics to every network it can reach by default.
   */
  healthHost?: string;
  /** Started in order (downstream first: producer before consumer), stopped in reverse. */
  components: Component[];
  metrics?: Metrics;
  /** Give up a stop that hangs (a wedged broker connection) after this many ms. */
  stopTimeoutMs?: number;
}

export interface RunningService {
  stop(reason: string): Promise<void>;
  /** Resolves once stopped on request; rejects with the error once stopped because a component failed. */
  readonly stopped: Promise<void>;
  readonly healthPort: number;
}

/** `promise`'s outcome, or "timeout" after `ms` (the timer does not keep the process alive). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms).unref()));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts the components in order behind a health server and stops them in
 * reverse on SIGTERM/SIGINT: the in-flight batch finishes and is committed
 * before the consumer disconnects (each component's stop() owns that). A
 * component that reports a fatal error stops the service the same way.
 */
export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { logger, components } = opts;
  const metrics = opts.metrics ?? new Metrics(opts.name.replace(/\W/g, "_"));
  const started: Component[] = [];
  let stopping: Promise<void> | undefined;
  let failure: { err: unknown } | undefined;
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const stopped = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // A caller that only ever calls stop() need not listen: the failure was logged already.
  stopped.catch(() => undefined);
  const health = createHealthServer(
    opts.healthPort,
    () => !stopping && started.length === components.length && components.every((c) => c.ready?.() ?? true),
    metrics,
    () => components.flatMap((c) => (c.ready?.() === false && c.detail?.() ? [`${c.name}: ${c.detail()}`] : [])),
    opts.healthHost,
  );

  async function stopAll(reason: string): Promise<void> {
    stopping ??= (async () => {
      logger.info({ reason }, "stopping");
      for (const c of [...started].reverse()) {
        try {
          if ((await within(c.stop(), opts.stopTimeoutMs ?? 30_000)) === "timeout") logger.warn({ component: c.name }, `${c.name} did not stop in time; leaving it`);
        } catch (err) {
          logger.error({ err, component: c.name }, `${c.name} failed to stop cleanly`);
        }
      }
      await health.stop();
      logger.info({ reason }, "stopped");
      if (failure) settle.reject(failure.err);
      else settle.resolve();
    })();
    return stopping;
  }

  const contextOf = (c: Component): ComponentContext => ({
    fatal(err, message) {
      if (failure || stopping) return; // the first failure tells; later ones are its consequences
      failure = { err };
      logger.fatal({ err, component: c.name }, `${c.name}: ${message}; stopping the service`);
      void stopAll(`${c.name} failed`);
    },
  });

  await health.start();
  for (const c of components) {
    try {
      await c.start(contextOf(c));
      started.push(c);
      logger.debug({ component: c.name }, `${c.name} started`);
    } catch (err) {
      await stopAll(`${c.name} failed to start`);
      throw err;
    }
    if (failure) {
      // A component started earlier failed while the rest were starting.
      await stopping;
      throw failure.err;
    }
  }
  logger.info({ healthHost: health.host, healthPort: health.port }, `running; health on http://${health.host.includes(":") ? `[${health.host}]` : health.host}:${health.port}/healthz`);
  return { stop: stopAll, stopped, healthPort: health.port };
}

/** What runMain offers the service's main function. */
export interface MainContext {
  /**
   * Stops `part` after the service stopped, whatever the reason (signal,
   * failure, failed start), last registered first: telemetry, so the spans of
   * every component's last batch are flushed.
   */
  stopLast(part: Stoppable): void;
}

/**
 * Entry point of a service binary: the one place that turns a bad setting or a
 * failed start into one line and an exit code, signals into a clean stop, and
 * a component's fatal error into a stop and exit code 1.
 */
export function runMain(name: string, main: (ctx: MainContext) => Promise<RunningService>): void {
  const last: Stoppable[] = [];
  let service: RunningService | undefined;
  let signals = 0;
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    for (const part of [...last].reverse()) {
      try {
        if ((await within(part.stop(), 10_000)) === "timeout") process.stderr.write(`${name}: ${part.name} did not stop in time\n`);
      } catch (err) {
        process.stderr.write(`${name}: ${part.name} failed to stop: ${redactCredentials((err as Error)?.message ?? String(err))}\n`);
      }
    }
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write(`${name}: second ${signal}, exiting without a clean stop\n`);
      process.exit(130);
    }
    if (!service) return void exit(0);
    // `stopped` settles when the stop is done, and exits (below).
    void service.stop(signal);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  main({ stopLast: (part) => void last.push(part) }).then(
    (s) => {
      service = s;
      // A component's failure was logged (with its stack) by startService.
      s.stopped.then(
        () => exit(0),
        () => exit(1),
      );
    },
    (err: unknown) => {
      const e = err as Error;
      // ConfigError and startup errors carry a complete one-line message.
      const config = classify(err) === "config";
      process.stderr.write(`${name}: ${config ? "bad configuration: " : "cannot start: "}${redactCredentials(e?.message ?? String(err))}\n`);
      void exit(config ? 2 : 1);
    },
  );
}

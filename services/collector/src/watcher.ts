import type { EngineEvent } from "@dockwatch/contracts";
import type { RetryPolicy } from "@dockwatch/errors";
import { backgroundComponent, type Component, type ComponentContext } from "@dockwatch/runtime";
import type Docker from "dockerode";
import { Checkpoint } from "./checkpoint.js";
import { connectEngine, engineLines, openEvents, type EventStream } from "./engine.js";
import { createIntake, type IntakeDeps } from "./event-intake.js";
import { nowNanos } from "./records.js";

/** The intake's parts (the watcher owns the checkpoint it reads from), and how to reach the engine. */
export interface WatcherDeps extends Omit<IntakeDeps, "checkpoint"> {
  retry: RetryPolicy;
  unknownAttempts: number;
  /** How long start waits for the first attach before the service goes live without the engine. */
  waitMs: number;
}

export interface Watcher extends Component {
  /** Following the engine's live stream now. */
  readonly connected: boolean;
}

const CONNECTED_GAUGE = ["engine_connected", "1 while the engine's live event stream is attached"] as const;

/** Reads a stream to its end, destroying it when `signal` aborts (stop). */
async function collectLines(stream: EventStream, signal: AbortSignal): Promise<string[]> {
  const onAbort = () => stream.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const lines: string[] = [];
    for await (const line of engineLines(stream)) lines.push(line);
    return lines;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The engine's /events, without a gap: on every (re)connect it reads the
 * history since the checkpoint as a bounded request (so a lost history is
 * detected and reconciled before live events follow), then the live stream.
 * Owns the read checkpoint. Reconnects with backoff when the stream ends.
 */
export function createWatcher(deps: WatcherDeps): Watcher {
  const { writer, records, reconciler, logger, metrics } = deps;
  let checkpoint = new Checkpoint();
  let session: { docker: Docker; live: EventStream } | undefined;
  const intake = createIntake({ ...deps, checkpoint: () => checkpoint });

  async function replay(docker: Docker, signal: AbortSignal): Promise<void> {
    const sinceNano = checkpoint.sinceNano;
    if (sinceNano === undefined) return;
    const until = nowNanos();
    const lines = await collectLines(await openEvents(docker, { since: sinceNano, until }), signal);
    const replayed = lines.map((line) => ({ line, event: intake.parse(line) })).filter((r): r is { line: string; event: EngineEvent } => r.event !== undefined);
    if (checkpoint.overrun(replayed.map((r) => r.event))) {
      const unseen = replayed.map((r) => r.event).filter((e) => !checkpoint.has(e));
      await reconciler.historyGap(docker, checkpoint.lastNano!, unseen[0]?.timeNano ?? until, unseen);
    }
    for (const r of replayed) await intake.accept(docker, r.event, r.line);
    writer.flush();
  }

  /** One connection: engine handshake, baseline, replay, then the live stream opened (attached). */
  async function attach(signal: AbortSignal): Promise<void> {
    const sessionStart = nowNanos();
    const { docker, engine } = await connectEngine();
    records.setEngine(engine);
    await reconciler.baseline(docker);
    logger.info({ engine }, `connected to Docker engine ${engine.hostname} (${engine.version}, API ${engine.apiVersion})`);
    writer.append(records.status("connected", "Connected to Docker service"), nowNanos());
    await replay(docker, signal);
    if (signal.aborted) return;
    // `since` is inclusive: what arrived between the two requests is replayed and what we have skipped. Without a
    // checkpoint (first start) the stream starts where this session did, so nothing after the baseline goes unseen.
    const live = await openEvents(docker, { since: checkpoint.sinceNano ?? sessionStart });
    session = { docker, live };
    if (signal.aborted) live.destroy(); // stop() ran while the request was open
    // Attached only now: the engine subscribes us before it answers.
    metrics.set(...CONNECTED_GAUGE, 1);
  }

  async function follow(signal: AbortSignal): Promise<void> {
    if (!session) return; // stopped while attaching
    const { docker, live } = session;
    const onAbort = () => live.destroy();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const line of engineLines(live)) {
        const event = intake.parse(line);
        if (event) await intake.accept(docker, event, line);
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      metrics.set(...CONNECTED_GAUGE, 0);
      writer.flush();
      if (!signal.aborted) {
        logger.warn("Docker service was stopped; reconnecting");
        writer.append(records.status("lost", "Docker service was stopped"), nowNanos());
      }
    }
  }

  const background = backgroundComponent({
    name: "engine watcher",
    logger,
    retry: deps.retry,
    unknownAttempts: deps.unknownAttempts,
    waitMs: deps.waitMs,
    attempt: attach,
    run: follow,
    release: async () => {
      session?.live.destroy();
      session = undefined;
    },
  });

  return {
    name: background.name,
    get connected() {
      return background.running;
    },
    ready: () => background.running,
    async start(ctx?: ComponentContext) {
      checkpoint = writer.spool.checkpoint() ?? new Checkpoint();
      // Not ready until the engine answers, but a missing engine must not stop the service.
      await background.start(ctx);
      if (!background.running) logger.warn("Docker engine not reachable yet; will keep retrying (is dockerd running? DOCKER_HOST?)");
    },
    async stop() {
      await background.stop();
      writer.flush();
    },
  };
}

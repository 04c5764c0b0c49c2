import type { ContainerFacts, DockerEvent, Engine, EngineEvent } from "@dockwatch/contracts";
import { HEALTH_PORTS } from "@dockwatch/contracts";
import {
  ConfigError,
  duration,
  identitySettings,
  int,
  kafkaSettings,
  optionalStr,
  parseEnv,
  runtimeSettings,
  type Env,
  type IdentitySettings,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { createPipelineClients, deadLetterHeaders, toTopicMessages } from "@dockwatch/kafka";
import { backoffDelay, sleep } from "@dockwatch/errors";
import { Metrics, startService, type Component, type Logger, type RunningService } from "@dockwatch/runtime";
import { SpanKind, context, startSpan, traceHeaders } from "@dockwatch/telemetry";
import type Docker from "dockerode";
import { Checkpoint, engineTimeParam } from "./checkpoint.js";
import { connectEngine } from "./engine.js";
import { EngineLineError, LineSplitter, parseEngineLine } from "@dockwatch/docker-event";
import { LruCache, dockerTimeToNanos, factsFromInspect, type ContainerInspect } from "./facts.js";
import { applyChange, inventoryChange, listedState, reconcile, type Inventory, type KnownContainer, type ListedContainer } from "./inventory.js";
import { Spool, type DropCount, type SpoolEntry } from "./spool.js";
import { defaultStateDir, ensureStateDir } from "./state-dir.js";

export interface CollectorConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  identity: IdentitySettings;
  heartbeatMs: number;
  stateDir: string;
  /** Records the spool holds before it drops new engine events (and later reports a gap). */
  spoolMaxEvents: number;
  /** How long appended records wait to be committed (fsynced) together. */
  spoolFlushMs: number;
  publishBatchMax: number;
  inspectCacheSize: number;
}

export function loadCollectorConfig(env: Env): CollectorConfig {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost && !/^(unix|tcp|http|https|npipe):\/\/./.test(dockerHost)) {
    throw new ConfigError("DOCKER_HOST", "unix://<socket> or tcp://<host>:<port>", dockerHost);
  }
  if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== "0" && !env.DOCKER_CERT_PATH) {
    // docker-modem would silently fall back to ~/.docker; say which certificates are meant.
    throw new ConfigError("DOCKER_CERT_PATH", "the directory holding ca.pem, cert.pem and key.pem when DOCKER_TLS_VERIFY is set", undefined);
  }
  const v = parseEnv(
    {
      HEARTBEAT_INTERVAL: duration("30s"),
      COLLECTOR_STATE_DIR: optionalStr(),
      COLLECTOR_SPOOL_MAX_EVENTS: int(500_000, 100, 100_000_000),
      COLLECTOR_SPOOL_FLUSH: duration("20ms"),
      COLLECTOR_PUBLISH_BATCH: int(500, 1, 10_000),
      COLLECTOR_INSPECT_CACHE: int(10_000, 1, 1_000_000),
    },
    env,
  );
  return {
    kafka: kafkaSettings(env, "collector"),
    runtime: runtimeSettings(env, HEALTH_PORTS.collector),
    identity: identitySettings(env),
    heartbeatMs: v.HEARTBEAT_INTERVAL,
    stateDir: ensureStateDir(v.COLLECTOR_STATE_DIR ?? defaultStateDir(process.getuid?.())),
    spoolMaxEvents: v.COLLECTOR_SPOOL_MAX_EVENTS,
    spoolFlushMs: v.COLLECTOR_SPOOL_FLUSH,
    publishBatchMax: v.COLLECTOR_PUBLISH_BATCH,
    inspectCacheSize: v.COLLECTOR_INSPECT_CACHE,
  };
}

const nowNanos = () => BigInt(Date.now()) * 1_000_000n;

const SYNTHESIZED_ATTRIBUTE = "dockwatch.synthesized";

/**
 * Engine events and collector status -> local spool -> docker.events.raw.
 * The watcher reads the engine continuously and appends to the spool; the
 * publisher sends from the spool in order and frees it only after Kafka
 * acknowledged (acks=all). Neither waits for the other.
 */
export function startCollector(config: CollectorConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_collector");
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DockerEvent"], topics: [{ topic: topics.raw }] });
  const agent = config.identity.agent;
  let engine: Engine = { id: "unknown", hostname: "unknown", version: "unknown", apiVersion: "unknown" };
  let spool!: Spool;
  const facts = new LruCache<string, ContainerFacts>(config.inspectCacheSize);

  // ---- the write side: records batched into one durable commit ----
  let checkpoint = new Checkpoint();
  let inventory: Inventory = new Map();
  let drop: DropCount | undefined;
  let batch: SpoolEntry[] = [];
  let batchInventory: [string, KnownContainer | "removed"][] = [];
  let batchCheckpoint = false;
  let batchDrop: DropCount | null | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let wakePublisher: (() => void) | undefined;

  function flush(): void {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    if (batch.length === 0 && !batchCheckpoint && batchInventory.length === 0 && batchDrop === undefined) return;
    spool.write({
      entries: batch,
      ...(batchCheckpoint ? { checkpoint } : {}),
      inventory: batchInventory,
      ...(batchDrop !== undefined ? { dropped: batchDrop } : {}),
    });
    metrics.set("spool_records", "records in the spool not yet acknowledged by Kafka", spool.size);
    batch = [];
    batchInventory = [];
    batchCheckpoint = false;
    batchDrop = undefined;
    wakePublisher?.();
  }

  function scheduleFlush(): void {
    if (batch.length >= config.publishBatchMax) flush();
    else flushTimer ??= setTimeout(flush, config.spoolFlushMs);
  }

  const record = (partial: Partial<DockerEvent> & Pick<DockerEvent, "kind">): DockerEvent => ({
    agent,
    engine,
    receivedAtNano: nowNanos(),
    event: null,
    raw: null,
    status: null,
    gap: null,
    inspect: null,
    ...partial,
  });

  function rawEntry(key: string, value: DockerEvent): SpoolEntry {
    const { span, ctx } = startSpan("collector publish", context.active(), SpanKind.PRODUCER);
    span.setAttribute("messaging.destination.name", topics.raw);
    span.end();
    return { topic: topics.raw, key, value: clients.codec.encode("DockerEvent", value), headers: traceHeaders(ctx) };
  }

  /**
   * Appends one record, honouring the bound: past it, the record is counted
   * as dropped (its time widens the drop window) instead of spooled. Once the
   * publisher has made room, a gap record reporting the drops goes first.
   */
  function append(entry: SpoolEntry, timeNano: bigint): void {
    const used = spool.size + batch.length;
    if (used >= config.spoolMaxEvents) {
      if (!drop) logger.error(`collector: spool full (${used} records in ${config.stateDir}); dropping events until Kafka catches up`);
      drop = drop ? { count: drop.count + 1, fromNano: drop.fromNano, toNano: timeNano } : { count: 1, fromNano: timeNano, toNano: timeNano };
      batchDrop = drop;
      metrics.inc("dropped_total", "records dropped because the spool was full");
      scheduleFlush();
      return;
    }
    if (drop) {
      logger.error(`collector: ${drop.count} events dropped while the spool was full; publishing a gap record`);
      batch.push(gapEntry(drop.fromNano, drop.toNano, drop.count, "spool full: events dropped"));
      drop = undefined;
      batchDrop = null;
    }
    batch.push(entry);
    scheduleFlush();
  }

  /** After the publisher made room: report pending drops at once, not only when the next event comes. */
  function reportDrops(): void {
    if (!drop || spool.size + batch.length >= config.spoolMaxEvents) return;
    logger.error(`collector: ${drop.count} events dropped while the spool was full; publishing a gap record`);
    batch.push(gapEntry(drop.fromNano, drop.toNano, drop.count, "spool full: events dropped"));
    drop = undefined;
    batchDrop = null;
    flush();
  }

  const gapEntry = (fromNano: bigint, toNano: bigint, dropped: number, reason: string) =>
    rawEntry(engine.id, record({ kind: "gap", gap: { fromNano, toNano, dropped: BigInt(dropped), reason } }));

  function appendStatus(state: "connected" | "lost" | "heartbeat", text: string): void {
    append(rawEntry(engine.id, record({ kind: "status", status: { state, message: text } })), nowNanos());
  }

  function trackInventory(e: EngineEvent): void {
    const change = inventoryChange(inventory, e);
    if (!change) return;
    applyChange(inventory, e.Actor.ID, change);
    batchInventory.push([e.Actor.ID, change]);
  }

  // ---- reading the engine ----
  async function inspect(docker: Docker, id: string): Promise<ContainerInspect | undefined> {
    const started = process.hrtime.bigint();
    try {
      return (await docker.getContainer(id).inspect()) as ContainerInspect;
    } catch {
      return undefined; // already removed (short-lived container): its events go without facts
    } finally {
      metrics.inc("inspect_total", "container inspects");
      metrics.inc("inspect_seconds_total", "time spent in container inspects", Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /** Inspect on create and start, once; later events of the container reuse the cached facts. */
  async function factsFor(docker: Docker, e: EngineEvent): Promise<ContainerFacts | null> {
    if (e.Type !== "container") return null;
    let f = facts.get(e.Actor.ID);
    if (!f && (e.Action === "create" || e.Action === "start")) {
      const ins = await inspect(docker, e.Actor.ID);
      if (ins) {
        f = factsFromInspect(ins);
        facts.set(e.Actor.ID, f);
      }
    }
    if (e.Action === "destroy") facts.delete(e.Actor.ID);
    return f ?? null;
  }

  function deadLetter(line: string, err: EngineLineError): void {
    logger.warn(`collector: engine line dead-lettered: ${err.message}`);
    metrics.inc("dead_letters_total", "engine lines dead-lettered");
    append(
      {
        topic: topics.dlq,
        key: engine.id,
        value: Buffer.from(line),
        headers: deadLetterHeaders({
          stage: "collector",
          reason: "invalid-engine-event",
          error: err.message,
          source: { topic: "docker-engine:/events" },
        }),
      },
      nowNanos(),
    );
  }

  function parse(line: string): EngineEvent | undefined {
    try {
      return parseEngineLine(line);
    } catch (err) {
      if (!(err instanceof EngineLineError)) throw err;
      deadLetter(line, err);
      return undefined;
    }
  }

  async function acceptEvent(docker: Docker, event: EngineEvent, line: string): Promise<void> {
    // `since` replays the checkpoint's events: they are in the spool already.
    if (checkpoint.has(event)) {
      metrics.inc("replayed_duplicates_total", "engine events skipped because they were already spooled");
      return;
    }
    const inspectFacts = await factsFor(docker, event);
    checkpoint.add(event);
    batchCheckpoint = true;
    trackInventory(event);
    append(rawEntry(event.Actor.ID || engine.id, record({ kind: "engine", event, raw: line, inspect: inspectFacts })), event.timeNano);
    metrics.inc("events_total", "engine events spooled");
  }

  async function listContainers(docker: Docker): Promise<ListedContainer[]> {
    const list = await docker.listContainers({ all: true });
    return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? "").replace(/^\//, ""), image: c.Image, state: listedState(c.State) }));
  }

  /**
   * History was lost between `fromNano` and `toNano`: say so, then turn the
   * difference between the last known inventory (plus what the replay still
   * tells) and the engine's current list into synthesized container events.
   */
  async function declareGap(docker: Docker, fromNano: bigint, toNano: bigint, replay: EngineEvent[]): Promise<void> {
    logger.warn(`collector: engine history overrun between ${fromNano} and ${toNano}; reconciling the container inventory`);
    metrics.inc("history_gaps_total", "times the engine's event history was overrun");
    append(gapEntry(fromNano, toNano, 0, "engine history overrun, container state reconciled"), toNano);
    const explained: Inventory = new Map(inventory);
    for (const e of replay) applyChange(explained, e.Actor.ID, inventoryChange(explained, e));
    const transitions = reconcile(explained, await listContainers(docker));
    for (const t of transitions) {
      const ins = t.action === "destroy" ? undefined : await inspect(docker, t.id);
      const f = ins ? factsFromInspect(ins) : (facts.get(t.id) ?? null);
      const at =
        (t.action === "create" ? dockerTimeToNanos(ins?.Created) : t.action === "start" ? dockerTimeToNanos(ins?.State?.StartedAt) : t.action === "die" ? dockerTimeToNanos(ins?.State?.FinishedAt) : undefined) ??
        toNano;
      const event: EngineEvent = {
        Type: "container",
        Action: t.action,
        Actor: { ID: t.id, Attributes: { name: t.name, image: t.image, [SYNTHESIZED_ATTRIBUTE]: "reconciled after a history gap" } },
        scope: "local",
        time: at / 1_000_000_000n,
        timeNano: at,
        status: t.action,
        id: t.id,
        from: t.image,
      };
      trackInventory(event);
      append(rawEntry(t.id, record({ kind: "synthesized", event, inspect: f })), at);
      metrics.inc("synthesized_total", "container events synthesized by reconciliation");
    }
    flush();
  }

  /** Reads a bounded /events response (with `until`) to its end. */
  async function readAll(stream: NodeJS.ReadableStream): Promise<string[]> {
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) lines.push(...splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
    const partial = splitter.flush();
    if (partial) lines.push(partial);
    return lines;
  }

  let connected = false;
  let stopped = false;
  let stream: NodeJS.ReadableStream | undefined;

  async function watchOnce(onOpen: () => void): Promise<void> {
    const { docker, engine: info } = await connectEngine();
    engine = info;
    if (!spool.hasInventory()) {
      // First start: what runs now is the baseline, not news.
      const baseline: Inventory = new Map((await listContainers(docker)).map((c) => [c.id, { ...c }]));
      spool.setInventory(baseline);
      inventory = baseline;
    }
    logger.info({ engine }, `collector: connected to Docker engine ${engine.hostname} (${engine.version}, API ${engine.apiVersion})`);
    appendStatus("connected", "Connected to Docker service");

    const sinceNano = checkpoint.sinceNano;
    if (sinceNano !== undefined) {
      // Replay what happened since the checkpoint as a bounded read, so a lost
      // history is detected (and reconciled) before live events follow.
      const until = nowNanos();
      stream = (await docker.getEvents({ since: engineTimeParam(sinceNano), until: engineTimeParam(until) } as never)) as unknown as NodeJS.ReadableStream;
      const lines = await readAll(stream);
      const replay = lines.map((line) => ({ line, event: parse(line) })).filter((r): r is { line: string; event: EngineEvent } => r.event !== undefined);
      if (checkpoint.overrun(replay.map((r) => r.event))) {
        const firstNew = replay.find((r) => !checkpoint.has(r.event))?.event.timeNano;
        await declareGap(docker, checkpoint.lastNano!, firstNew ?? until, replay.map((r) => r.event).filter((e) => !checkpoint.has(e)));
      }
      for (const r of replay) await acceptEvent(docker, r.event, r.line);
      flush();
    }
    if (stopped) return;
    // Inclusive `since` again: what arrived between the two requests is replayed, what we have is skipped.
    const liveSince = checkpoint.sinceNano;
    stream = (await docker.getEvents((liveSince !== undefined ? { since: engineTimeParam(liveSince) } : {}) as never)) as unknown as NodeJS.ReadableStream;
    if (stopped) (stream as unknown as { destroy(): void }).destroy(); // stop() ran while the request was open
    // Attached only now: the engine subscribes us before it answers.
    connected = true;
    metrics.set("engine_connected", "1 while the engine's live event stream is attached", 1);
    onOpen();
    const splitter = new LineSplitter();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const line of splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))) {
        const event = parse(line);
        if (event) await acceptEvent(docker, event, line);
      }
    }
    const partial = splitter.flush();
    if (partial) {
      const event = parse(partial);
      if (event) await acceptEvent(docker, event, partial);
    }
  }

  let heartbeat: NodeJS.Timeout | undefined;
  const watchAbort = new AbortController();
  let watchLoop: Promise<void> | undefined;

  const state: Component = {
    name: "state",
    async start() {
      spool = Spool.open(config.stateDir);
      checkpoint = spool.checkpoint() ?? new Checkpoint();
      inventory = spool.inventory();
      drop = spool.dropped();
      logger.info(
        { stateDir: config.stateDir, spooled: spool.size, checkpoint: checkpoint.lastNano === undefined ? null : String(checkpoint.lastNano) },
        "collector: state loaded",
      );
    },
    async stop() {
      flush();
      spool.close();
    },
  };

  // ---- the publish side: spool -> Kafka, in order, acknowledged before freed ----
  let publishing = false;
  let stopPublishing = false;
  let publishLoop: Promise<void> | undefined;
  const kafkaStarted: Component[] = [];
  const publishAbort = new AbortController();

  async function runPublisher(): Promise<void> {
    let attempt = 0;
    const drainDeadline = () => (stopPublishing ? drainUntil : Infinity);
    let drainUntil = Infinity;
    while (!stopPublishing || (publishing && spool.size > 0 && Date.now() < drainDeadline())) {
      if (stopPublishing && drainUntil === Infinity) drainUntil = Date.now() + 5_000;
      if (!publishing) {
        try {
          for (const c of clients.components.slice(kafkaStarted.length)) {
            await c.start();
            kafkaStarted.push(c);
          }
          publishing = true;
          attempt = 0;
          logger.info("collector: publishing to Kafka");
        } catch (err) {
          logger.warn(`collector: Kafka not available yet (${(err as Error).message}); events stay in the spool`);
          await sleep(backoffDelay(attempt++, { initialMs: 500, maxMs: 30_000 }), publishAbort.signal);
        }
        continue;
      }
      const records = spool.read(config.publishBatchMax);
      if (records.length === 0) {
        if (stopPublishing) break;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1_000);
          wakePublisher = () => {
            clearTimeout(t);
            wakePublisher = undefined;
            resolve();
          };
        });
        continue;
      }
      // Grouped by topic, each topic's records in spool order (Kafka orders per partition only).
      const topicMessages = toTopicMessages(records.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers ?? {} })));
      try {
        await clients.producer.sendBatch({ acks: -1, topicMessages });
        spool.ack(records.at(-1)!.seq);
        reportDrops();
        metrics.inc("published_total", "records acknowledged by Kafka", records.length);
        metrics.set("spool_records", "records in the spool not yet acknowledged by Kafka", spool.size);
        attempt = 0;
      } catch (err) {
        metrics.inc("publish_failures_total", "failed sends to Kafka (retried from the spool)");
        logger.warn(`collector: Kafka send failed (${(err as Error).message}); ${spool.size} records wait in the spool`);
        await sleep(backoffDelay(attempt++, { initialMs: 200, maxMs: 10_000 }), publishAbort.signal);
      }
    }
  }

  const publisher: Component = {
    name: "publisher",
    ready: () => publishing,
    async start() {
      publishLoop = runPublisher();
    },
    async stop() {
      stopPublishing = true;
      wakePublisher?.();
      if (!publishing) publishAbort.abort();
      await publishLoop;
      for (const c of kafkaStarted.reverse()) await c.stop().catch((err: Error) => logger.warn(`collector: ${c.name} stop: ${err.message}`));
    },
  };

  const watcher: Component = {
    name: "engine watcher",
    ready: () => connected,
    async start() {
      let opened!: () => void;
      const firstOpen = new Promise<void>((r) => (opened = r));
      watchLoop = (async () => {
        for (let attempt = 0; !stopped; attempt++) {
          try {
            await watchOnce(() => {
              attempt = 0;
              opened();
            });
          } catch (err) {
            if (stopped) break;
            logger.warn(`collector: Docker engine unavailable: ${(err as Error).message}`);
          }
          flush();
          if (stopped) break;
          if (connected) {
            connected = false;
            metrics.set("engine_connected", "1 while the engine's live event stream is attached", 0);
            logger.warn("collector: Docker service was stopped; reconnecting");
            appendStatus("lost", "Docker service was stopped");
          }
          await sleep(backoffDelay(attempt, { initialMs: 500, maxMs: 30_000 }), watchAbort.signal);
        }
      })();
      // Heartbeats go through the spool too: appending never waits for Kafka.
      heartbeat = setInterval(() => appendStatus("heartbeat", connected ? "Docker service connected" : "Docker service unreachable"), config.heartbeatMs);
      // Not ready until the engine answers, but a missing engine must not stop the service.
      await Promise.race([firstOpen, sleep(10_000)]);
      if (!connected) logger.warn("collector: Docker engine not reachable yet; will keep retrying (is dockerd running? DOCKER_HOST?)");
    },
    async stop() {
      stopped = true;
      watchAbort.abort();
      clearInterval(heartbeat);
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      await watchLoop;
      connected = false;
      flush();
    },
  };

  return startService({
    name: "collector",
    logger,
    healthPort: config.runtime.healthPort,
    metrics,
    components: [state, publisher, watcher],
  });
}

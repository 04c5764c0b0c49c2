import type { DockerEvent, Engine, EngineEvent } from "@dockwatch/contracts";
import { HEALTH_PORTS } from "@dockwatch/contracts";
import {
  ConfigError,
  duration,
  identitySettings,
  kafkaSettings,
  parseEnv,
  runtimeSettings,
  type Env,
  type IdentitySettings,
  type KafkaSettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { DLQ_HEADERS, createPipelineClients } from "@dockwatch/kafka";
import { Metrics, backoffDelay, sleep, startService, type Component, type Logger, type RunningService } from "@dockwatch/runtime";
import { SpanKind, context, startSpan, traceHeaders } from "@dockwatch/telemetry";
import type { Message, Producer } from "kafkajs";
import { connectEngine } from "./engine.js";
import { EngineLineError, parseEngineLine } from "./engine-event.js";
import { LineSplitter } from "./lines.js";

export interface CollectorConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  identity: IdentitySettings;
  heartbeatMs: number;
}

export function loadCollectorConfig(env: Env): CollectorConfig {
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost && !/^(unix|tcp|http|https|npipe):\/\/./.test(dockerHost)) {
    throw new ConfigError("DOCKER_HOST", "unix://<socket> or tcp://<host>:<port>", dockerHost);
  }
  const v = parseEnv({ HEARTBEAT_INTERVAL: duration("30s") }, env);
  return {
    kafka: kafkaSettings(env, "collector"),
    runtime: runtimeSettings(env, HEALTH_PORTS.collector),
    identity: identitySettings(env),
    heartbeatMs: v.HEARTBEAT_INTERVAL,
  };
}

const nowNanos = () => BigInt(Date.now()) * 1_000_000n;

/** `since` for the engine: seconds with a nanosecond fraction. */
const sinceParam = (nanos: bigint) => `${nanos / 1_000_000_000n}.${String(nanos % 1_000_000_000n).padStart(9, "0")}`;

/** Engine events and collector status -> docker.events.raw (key: actor ID, or engine ID for status). */
export function startCollector(config: CollectorConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_collector");
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DockerEvent"], topics: [{ topic: topics.raw }] });
  const producer: Producer = clients.producer;
  const agent = config.identity.agent;
  let engine: Engine = { id: "unknown", hostname: "unknown", version: "unknown", apiVersion: "unknown" };
  let connected = false;
  let stopped = false;
  let stream: NodeJS.ReadableStream | undefined;
  let loop: Promise<void> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  // The last event seen, so a reconnect asks the engine for what happened since.
  let lastNano: bigint | undefined;
  const seenAtLastNano = new Set<string>();

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

  function message(key: string, value: DockerEvent): Message {
    const { span, ctx } = startSpan("collector publish", context.active(), SpanKind.PRODUCER);
    span.setAttribute("messaging.destination.name", topics.raw);
    span.end();
    return { key, value: clients.codec.encode("DockerEvent", value), headers: traceHeaders(ctx) };
  }

  async function publishStatus(state: "connected" | "lost" | "heartbeat", text: string): Promise<void> {
    await producer.send({ topic: topics.raw, acks: -1, messages: [message(engine.id, record({ kind: "status", status: { state, message: text } }))] });
  }

  /** Parses one chunk's lines; valid events to the raw topic, bad lines to the DLQ, in one send. */
  async function publishLines(lines: string[]): Promise<void> {
    const good: Message[] = [];
    const bad: Message[] = [];
    for (const line of lines) {
      let event: EngineEvent;
      try {
        event = parseEngineLine(line);
      } catch (err) {
        if (!(err instanceof EngineLineError)) throw err;
        logger.warn(`collector: engine line dead-lettered: ${err.message}`);
        bad.push({
          key: engine.id,
          value: Buffer.from(line),
          headers: {
            [DLQ_HEADERS.stage]: "collector",
            [DLQ_HEADERS.reason]: "invalid-engine-event",
            [DLQ_HEADERS.error]: err.message,
            [DLQ_HEADERS.topic]: "docker-engine:/events",
            [DLQ_HEADERS.time]: new Date().toISOString(),
          },
        });
        continue;
      }
      // After a reconnect `since` replays the last event again: skip what was already sent.
      const identity = `${event.Type}/${event.Action}/${event.Actor.ID}`;
      if (lastNano !== undefined && (event.timeNano < lastNano || (event.timeNano === lastNano && seenAtLastNano.has(identity)))) continue;
      if (event.timeNano !== lastNano) seenAtLastNano.clear();
      lastNano = event.timeNano;
      seenAtLastNano.add(identity);
      good.push(message(event.Actor.ID || engine.id, record({ kind: "engine", event, raw: line })));
    }
    const topicMessages = [
      ...(good.length ? [{ topic: topics.raw, messages: good }] : []),
      ...(bad.length ? [{ topic: topics.dlq, messages: bad }] : []),
    ];
    if (topicMessages.length > 0) await producer.sendBatch({ acks: -1, topicMessages });
    metrics.inc("events_total", "engine events published", good.length);
    metrics.inc("dead_letters_total", "engine lines dead-lettered", bad.length);
  }

  async function watchOnce(onOpen: () => void): Promise<void> {
    const connection = await connectEngine();
    engine = connection.engine;
    const since = lastNano !== undefined ? { since: sinceParam(lastNano) } : {};
    stream = (await connection.docker.getEvents(since as never)) as unknown as NodeJS.ReadableStream;
    connected = true;
    onOpen();
    logger.info({ engine }, `collector: connected to Docker engine ${engine.hostname} (${engine.version}, API ${engine.apiVersion})`);
    await publishStatus("connected", "Connected to Docker service");
    const splitter = new LineSplitter();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      if (lines.length > 0) await publishLines(lines);
    }
    const partial = splitter.flush();
    if (partial) await publishLines([partial]);
  }

  const watcher: Component = {
    name: "engine watcher",
    ready: () => connected,
    async start() {
      let opened!: () => void;
      const firstOpen = new Promise<void>((r) => (opened = r));
      loop = (async () => {
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
          if (stopped) break;
          if (connected) {
            connected = false;
            logger.warn("collector: Docker service was stopped; reconnecting");
            await publishStatus("lost", "Docker service was stopped").catch((err: Error) => logger.error(`collector: cannot publish status: ${err.message}`));
          }
          await sleep(backoffDelay(attempt, { initialMs: 500, maxMs: 30_000 }));
        }
      })();
      heartbeat = setInterval(() => {
        publishStatus("heartbeat", connected ? "Docker service connected" : "Docker service unreachable").catch((err: Error) =>
          logger.warn(`collector: heartbeat not published: ${err.message}`),
        );
      }, config.heartbeatMs);
      // Not ready until the engine answers, but a missing engine must not stop the service.
      await Promise.race([firstOpen, sleep(10_000)]);
      if (!connected) logger.warn("collector: Docker engine not reachable yet; will keep retrying (is dockerd running? DOCKER_HOST?)");
    },
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
      await loop;
      connected = false;
    },
  };

  return startService({
    name: "collector",
    logger,
    healthPort: config.runtime.healthPort,
    metrics,
    components: [...clients.components, watcher],
  });
}

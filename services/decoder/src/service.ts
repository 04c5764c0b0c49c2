import type { DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS } from "@dockwatch/contracts";
import {
  ConfigError,
  duration,
  int,
  kafkaSettings,
  parseEnv,
  retrySettings,
  runtimeSettings,
  str,
  type Env,
  type KafkaSettings,
  type RetrySettings,
  type RuntimeSettings,
} from "@dockwatch/config";
import { RecordError } from "@dockwatch/errors";
import { STAGE_CONCURRENCY, STAGE_LINGER, createPipelineClients, createSessionProducer, createStage } from "@dockwatch/kafka";
import { Metrics, startService, type Logger, type RunningService } from "@dockwatch/runtime";
import {
  DEFAULT_BOUNDS,
  DecodeError,
  boundDecodedEvent,
  createRedactor,
  decodeEvent,
  encodeBounded,
  parseRedactPatterns,
  type Bounds,
  type Redactor,
} from "@dockwatch/docker-event";

export interface DecoderConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  maxMessageBytes: number;
  /**
   * Largest decoded record and largest produce request. Keep it under the
   * broker's message.max.bytes (1048588 by default): a decoded record over it
   * is cut further (the bounds halved until it fits), never dead-lettered,
   * so padding an event cannot hide it from the rules.
   */
  maxOutputBytes: number;
  /** DECODER_MAX_FIELD_BYTES, _MAP_BYTES, _TEXT_BYTES: every decoded record is bounded (libs/docker-event bound.ts). */
  bounds: Bounds;
  /** dockwatch-decoder unless DECODER_CONSUMER_GROUP says otherwise (a second pipeline on one cluster, tests). */
  groupId: string;
  /** The default redaction rules plus REDACT_PATTERNS, compiled at load so a bad pattern stops the service. */
  redactor: Redactor;
  redactPatterns: string[];
  /** DECODER_CONCURRENCY: partition batches of one fetch decoded and produced as one round. */
  concurrency: number;
  /** DECODER_FETCH_PARTITION_BYTES: a partition's share of one fetch (memory against requests per record). */
  fetchPartitionBytes: number;
  /** DECODER_LINGER: the shortest time from one round to the next fetch, so a trickle of events shares rounds. */
  lingerMs: number;
  /** DECODER_RETRY_INITIAL_DELAY, DECODER_RETRY_MAX_DELAY, DECODER_UNKNOWN_ERROR_ATTEMPTS. */
  retry: RetrySettings;
}

export function loadDecoderConfig(env: Env): DecoderConfig {
  const v = parseEnv(
    {
      DECODER_MAX_MESSAGE_BYTES: int(1_048_576, 1024, 104_857_600),
      DECODER_MAX_OUTPUT_BYTES: int(1_000_000, 1024, 104_857_600),
      DECODER_CONSUMER_GROUP: str(GROUPS.decoder),
      DECODER_CONCURRENCY: int(STAGE_CONCURRENCY, 1, 64),
      DECODER_FETCH_PARTITION_BYTES: int(1_048_576, 16_384, 104_857_600),
      DECODER_LINGER: duration(STAGE_LINGER),
      DECODER_MAX_FIELD_BYTES: int(DEFAULT_BOUNDS.fieldBytes, 64, 10_485_760),
      DECODER_MAX_MAP_BYTES: int(DEFAULT_BOUNDS.mapBytes, 1_024, 104_857_600),
      DECODER_MAX_TEXT_BYTES: int(DEFAULT_BOUNDS.textBytes, 1_024, 104_857_600),
    },
    env,
  );
  let redactPatterns: string[];
  let redactor: Redactor;
  try {
    redactPatterns = parseRedactPatterns(env.REDACT_PATTERNS);
    redactor = createRedactor(redactPatterns);
  } catch (err) {
    throw new ConfigError("REDACT_PATTERNS", `a JSON array of RE2 regular expressions (${(err as Error).message})`, env.REDACT_PATTERNS);
  }
  return {
    kafka: kafkaSettings(env, "decoder"),
    runtime: runtimeSettings(env, HEALTH_PORTS.decoder),
    maxMessageBytes: v.DECODER_MAX_MESSAGE_BYTES,
    maxOutputBytes: v.DECODER_MAX_OUTPUT_BYTES,
    bounds: { fieldBytes: v.DECODER_MAX_FIELD_BYTES, mapBytes: v.DECODER_MAX_MAP_BYTES, textBytes: v.DECODER_MAX_TEXT_BYTES },
    groupId: v.DECODER_CONSUMER_GROUP,
    concurrency: v.DECODER_CONCURRENCY,
    fetchPartitionBytes: v.DECODER_FETCH_PARTITION_BYTES,
    lingerMs: v.DECODER_LINGER,
    redactor,
    redactPatterns,
    retry: retrySettings(env, "DECODER"),
  };
}

/**
 * decodeEvent, whose DecodeError (a RecordError) dead-letters with the reason
 * this stage has always written for an event it cannot decode: transform-failed.
 */
function decodeForStage(raw: DockerEvent, redactor: Redactor): DecodedEvent {
  try {
    return decodeEvent(raw, redactor);
  } catch (err) {
    throw err instanceof DecodeError ? new RecordError("transform-failed", err.message, { cause: err }) : err;
  }
}

/** docker.events.raw -> decodeEvent -> docker.events.decoded, as group dockwatch-decoder. */
export function startDecoder(config: DecoderConfig, logger: Logger): Promise<RunningService> {
  const { topics } = config.kafka;
  const metrics = new Metrics("dockwatch_decoder");
  const clients = createPipelineClients({
    settings: config.kafka,
    logger,
    writes: ["DecodedEvent"],
    topics: [{ topic: topics.raw }, { topic: topics.decoded }],
  });
  // The stage's own producer: a session renewed after the broker refused a record.
  const output = createSessionProducer(clients.kafka, logger);
  const stage = createStage<DockerEvent, DecodedEvent>({
    kafka: clients.kafka,
    producer: output,
    maxSendBytes: config.maxOutputBytes,
    groupId: config.groupId,
    inputTopic: topics.raw,
    partitionsConsumedConcurrently: config.concurrency,
    fetchPartitionBytes: config.fetchPartitionBytes,
    lingerMs: config.lingerMs,
    logger,
    metrics,
    retry: config.retry,
    logic: {
      stage: "decoder",
      outputTopic: topics.decoded,
      dlqTopic: topics.dlq,
      maxMessageBytes: config.maxMessageBytes,
      decode: (bytes) => clients.codec.decode<DockerEvent>("DockerEvent", bytes),
      transform: (raw, record) => [{ key: record.key, value: decodeForStage(raw, config.redactor) }],
      encode: (value) => {
        // Cut, not dead-lettered: a truncated event still reaches the rules (and raises 130985).
        const bounded = encodeBounded(value, boundDecodedEvent, (v) => clients.codec.encode("DecodedEvent", v), config.maxOutputBytes, config.bounds);
        if (bounded.value.truncated && !value.truncated) metrics.inc("truncated_total", "decoded records whose oversized fields were cut to the bounds");
        return bounded.bytes;
      },
    },
  });
  return startService({
    name: "decoder",
    logger,
    healthPort: config.runtime.healthPort,
    healthHost: config.runtime.healthHost,
    metrics,
    components: [...clients.components, output, stage],
  });
}

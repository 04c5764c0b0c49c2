import type { DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS } from "@dockwatch/contracts";
import {
  ConfigError,
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
import { createPipelineClients, createStage } from "@dockwatch/kafka";
import { Metrics, startService, type Logger, type RunningService } from "@dockwatch/runtime";
import { DecodeError, createRedactor, decodeEvent, parseRedactPatterns, type Redactor } from "@dockwatch/docker-event";

export interface DecoderConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  maxMessageBytes: number;
  /**
   * Largest decoded record and largest produce request. Keep it under the
   * broker's message.max.bytes (1048588 by default): a decoded record over it
   * is dead-lettered instead of failing the batch forever.
   */
  maxOutputBytes: number;
  /** dockwatch-decoder unless DECODER_CONSUMER_GROUP says otherwise (a second pipeline on one cluster, tests). */
  groupId: string;
  /** The default redaction rules plus REDACT_PATTERNS, compiled at load so a bad pattern stops the service. */
  redactor: Redactor;
  redactPatterns: string[];
  /** DECODER_RETRY_INITIAL_DELAY, DECODER_RETRY_MAX_DELAY, DECODER_UNKNOWN_ERROR_ATTEMPTS. */
  retry: RetrySettings;
}

export function loadDecoderConfig(env: Env): DecoderConfig {
  const v = parseEnv(
    {
      DECODER_MAX_MESSAGE_BYTES: int(1_048_576, 1024, 104_857_600),
      DECODER_MAX_OUTPUT_BYTES: int(1_000_000, 1024, 104_857_600),
      DECODER_CONSUMER_GROUP: str(GROUPS.decoder),
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
    groupId: v.DECODER_CONSUMER_GROUP,
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
  const stage = createStage<DockerEvent, DecodedEvent>({
    kafka: clients.kafka,
    producer: clients.producer,
    maxSendBytes: config.maxOutputBytes,
    groupId: config.groupId,
    inputTopic: topics.raw,
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
        const bytes = clients.codec.encode("DecodedEvent", value);
        if (bytes.length > config.maxOutputBytes) {
          throw new DecodeError(`decoded record of ${bytes.length} bytes exceeds DECODER_MAX_OUTPUT_BYTES (${config.maxOutputBytes})`, "encode-failed");
        }
        return bytes;
      },
    },
  });
  return startService({
    name: "decoder",
    logger,
    healthPort: config.runtime.healthPort,
    metrics,
    components: [...clients.components, stage],
  });
}

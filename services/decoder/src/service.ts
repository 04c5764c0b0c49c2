import type { DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { GROUPS, HEALTH_PORTS } from "@dockwatch/contracts";
import { int, kafkaSettings, parseEnv, runtimeSettings, type Env, type KafkaSettings, type RuntimeSettings } from "@dockwatch/config";
import { createPipelineClients, createStage } from "@dockwatch/kafka";
import { Metrics, startService, type Logger, type RunningService } from "@dockwatch/runtime";
import { decodeEvent } from "./decode.js";

export interface DecoderConfig {
  kafka: KafkaSettings;
  runtime: RuntimeSettings;
  maxMessageBytes: number;
}

export function loadDecoderConfig(env: Env): DecoderConfig {
  const v = parseEnv({ DECODER_MAX_MESSAGE_BYTES: int(1_048_576, 1024, 104_857_600) }, env);
  return {
    kafka: kafkaSettings(env, "decoder"),
    runtime: runtimeSettings(env, HEALTH_PORTS.decoder),
    maxMessageBytes: v.DECODER_MAX_MESSAGE_BYTES,
  };
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
    groupId: GROUPS.decoder,
    inputTopic: topics.raw,
    logger,
    metrics,
    logic: {
      stage: "decoder",
      outputTopic: topics.decoded,
      dlqTopic: topics.dlq,
      maxMessageBytes: config.maxMessageBytes,
      decode: (bytes) => clients.codec.decode<DockerEvent>("DockerEvent", bytes),
      transform: (raw, record) => [{ key: record.key, value: decodeEvent(raw) }],
      encode: (value) => clients.codec.encode("DecodedEvent", value),
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

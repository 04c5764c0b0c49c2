import { createCodec } from "@dockwatch/codec";
import { kafkaSettings } from "@dockwatch/config";
import type { Alert, DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { KafkaSchemaStore, createKafka, createProducer } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { randomUUID } from "node:crypto";

export interface TailOptions {
  topic: string;
  fromBeginning: boolean;
  rule?: string;
  minLevel?: number;
  container?: string;
}

type Record_ = { kind: "raw"; value: DockerEvent } | { kind: "decoded"; value: DecodedEvent } | { kind: "alert"; value: Alert | Record<string, unknown> } | { kind: "other"; value: unknown };

/** The filters of `dockwatch tail` (pure): rule id, minimum level, container name. */
export function passesFilters(rec: Record_, opts: Pick<TailOptions, "rule" | "minLevel" | "container">): boolean {
  const v = rec.value as {
    rule?: { id?: string; level?: number };
    container?: { name?: string | null } | null;
    event?: { Actor?: { Attributes?: Record<string, string> } } | null;
    data?: { docker?: { Actor?: { Attributes?: Record<string, string> } } };
    docker?: { Actor?: { Attributes?: Record<string, string> } };
  };
  if (opts.rule !== undefined && v.rule?.id !== opts.rule) return false;
  if (opts.minLevel !== undefined && (v.rule?.level ?? -1) < opts.minLevel) return false;
  if (opts.container !== undefined) {
    const name = v.container?.name ?? v.event?.Actor?.Attributes?.name ?? v.data?.docker?.Actor?.Attributes?.name ?? v.docker?.Actor?.Attributes?.name;
    if (name !== opts.container) return false;
  }
  return true;
}

const jsonLine = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : Buffer.isBuffer(v) ? v.toString("utf8") : v));

/** Follows a topic and prints each record as one JSON line (Avro decoded through the schema topic). */
export async function tail(opts: TailOptions): Promise<void> {
  const logger = createLogger("dockwatch-tail", process.env.LOG_LEVEL ?? "warn");
  const settings = kafkaSettings(process.env, "cli");
  const kafka = createKafka(settings, logger);
  const producer = createProducer(kafka);
  const store = new KafkaSchemaStore({ kafka, producer, topic: settings.topics.schemas, logger });
  const codec = createCodec({ store });
  const schemaFor: Record<string, string | undefined> = {
    [settings.topics.raw]: "DockerEvent",
    [settings.topics.decoded]: "DecodedEvent",
    [settings.topics.alerts]: "Alert",
  };
  const schema = schemaFor[opts.topic];
  await store.start();
  const consumer = kafka.consumer({ groupId: `dockwatch-tail-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
  const stop = async () => {
    await consumer.disconnect();
    await store.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const bytes = message.value ?? Buffer.alloc(0);
      let rec: Record_;
      try {
        if (bytes[0] === 0x7b) rec = { kind: "alert", value: JSON.parse(bytes.toString("utf8")) as Record<string, unknown> };
        else if (schema) rec = { kind: schema === "Alert" ? "alert" : schema === "DecodedEvent" ? "decoded" : "raw", value: await codec.decode(schema, bytes) } as Record_;
        else rec = { kind: "other", value: { partition, offset: message.offset, key: message.key?.toString(), headers: message.headers, value: bytes.toString("utf8") } };
      } catch (err) {
        process.stderr.write(`dockwatch tail: ${opts.topic}/${partition}@${message.offset} does not decode: ${(err as Error).message}\n`);
        return;
      }
      if (passesFilters(rec, opts)) process.stdout.write(jsonLine(rec.value) + "\n");
    },
  });
}

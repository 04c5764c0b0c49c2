import type { KafkaHeaders } from "@dockwatch/telemetry";

/** A consumed Kafka record, independent of kafkajs so the planning code is pure. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkaHeaders;
}

/** A record to produce. */
export interface OutputRecord {
  topic: string;
  key: Buffer | string | null;
  value: Buffer;
  headers: Record<string, string | Buffer>;
}

export const DLQ_HEADERS = {
  stage: "dockwatch.stage",
  reason: "dockwatch.reason",
  error: "dockwatch.error",
  topic: "dockwatch.source.topic",
  partition: "dockwatch.source.partition",
  offset: "dockwatch.source.offset",
  time: "dockwatch.failed.at",
} as const;

export interface DeadLetterCause {
  stage: string;
  reason: string;
  error: string;
  /** Where the bad input came from: a topic/partition/offset, or a non-Kafka source (the engine's stream). */
  source: { topic: string; partition?: number; offset?: string };
  now?: Date;
}

/** The headers that say why and from where a dead letter was written. */
export function deadLetterHeaders({ stage, reason, error, source, now = new Date() }: DeadLetterCause): Record<string, string> {
  return {
    [DLQ_HEADERS.stage]: stage,
    [DLQ_HEADERS.reason]: reason,
    // Headers are not for essays: keep the error to one bounded line.
    [DLQ_HEADERS.error]: error.replace(/\s+/g, " ").slice(0, 2000),
    [DLQ_HEADERS.topic]: source.topic,
    ...(source.partition !== undefined ? { [DLQ_HEADERS.partition]: String(source.partition) } : {}),
    ...(source.offset !== undefined ? { [DLQ_HEADERS.offset]: source.offset } : {}),
    [DLQ_HEADERS.time]: now.toISOString(),
  };
}

/**
 * The dead letter for a record: original key and bytes, the original headers,
 * and why (stage, reason code, error text) and from where (topic/partition/offset).
 */
export function deadLetter(
  record: SourceRecord,
  dlqTopic: string,
  stage: string,
  reason: string,
  error: string,
  now: Date = new Date(),
): OutputRecord {
  const original: Record<string, string | Buffer> = {};
  for (const [k, v] of Object.entries(record.headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) original[k] = first;
  }
  const source = { topic: record.topic, partition: record.partition, offset: record.offset };
  return {
    topic: dlqTopic,
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: { ...original, ...deadLetterHeaders({ stage, reason, error, source, now }) },
  };
}

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
  return {
    topic: dlqTopic,
    key: record.key,
    value: record.value ?? Buffer.alloc(0),
    headers: {
      ...original,
      [DLQ_HEADERS.stage]: stage,
      [DLQ_HEADERS.reason]: reason,
      // Headers are not for essays: keep the error to one bounded line.
      [DLQ_HEADERS.error]: error.replace(/\s+/g, " ").slice(0, 2000),
      [DLQ_HEADERS.topic]: record.topic,
      [DLQ_HEADERS.partition]: String(record.partition),
      [DLQ_HEADERS.offset]: record.offset,
      [DLQ_HEADERS.time]: now.toISOString(),
    },
  };
}

import { CodecError } from "@dockwatch/codec";
import { SpanKind, contextFromHeaders, inSpan, traceHeaders } from "@dockwatch/telemetry";
import { isRetryable } from "@dockwatch/errors";
import { deadLetter, type OutputRecord, type SourceRecord } from "./records.js";

/** What a transform emits for one input: zero or more values for the output topic. */
export interface Emitted<Out> {
  key: string | Buffer | null;
  value: Out;
}

export interface StageLogic<In, Out> {
  stage: string;
  outputTopic: string;
  dlqTopic: string;
  /** Bytes -> input value; throws CodecError for bad input. */
  decode(value: Buffer): Promise<In>;
  transform(input: In, record: SourceRecord): Emitted<Out>[] | Promise<Emitted<Out>[]>;
  encode(value: Out): Buffer;
  /** Records larger than this are dead-lettered unread. */
  maxMessageBytes?: number;
}

export type Outcome =
  | { kind: "output"; records: OutputRecord[] }
  | { kind: "dead"; record: OutputRecord; reason: string; error: string };

/**
 * The per-record decision of a stage: output records, or one dead letter with
 * a reason. Only infrastructure failures (RetryableError, a broker error while
 * resolving a schema) escape, so the batch is retried rather than the record lost.
 */
export async function processRecord<In, Out>(logic: StageLogic<In, Out>, record: SourceRecord): Promise<Outcome> {
  const dead = (reason: string, error: string): Outcome => ({
    kind: "dead",
    reason,
    error,
    record: deadLetter(record, logic.dlqTopic, logic.stage, reason, error),
  });
  if (record.value === null) return dead("empty", "record has no value");
  if (logic.maxMessageBytes !== undefined && record.value.length > logic.maxMessageBytes) {
    return dead("too-large", `record of ${record.value.length} bytes exceeds the limit of ${logic.maxMessageBytes}`);
  }
  const parent = contextFromHeaders(record.headers);
  return inSpan(`${logic.stage} process`, parent, SpanKind.CONSUMER, async (span, ctx) => {
    span.setAttribute("messaging.source.name", record.topic);
    span.setAttribute("messaging.kafka.source.partition", record.partition);
    span.setAttribute("messaging.kafka.message.offset", record.offset);
    let input: In;
    try {
      input = await logic.decode(record.value!);
    } catch (err) {
      if (err instanceof CodecError) return dead(err.reason, err.message);
      throw err;
    }
    let emitted: Emitted<Out>[];
    try {
      emitted = await logic.transform(input, record);
    } catch (err) {
      if (isRetryable(err)) throw err;
      return dead("transform-failed", (err as Error)?.message ?? String(err));
    }
    const headers = traceHeaders(ctx);
    const records: OutputRecord[] = [];
    for (const e of emitted) {
      try {
        records.push({ topic: logic.outputTopic, key: e.key, value: logic.encode(e.value), headers });
      } catch (err) {
        return dead("encode-failed", (err as Error)?.message ?? String(err));
      }
    }
    return { kind: "output", records };
  });
}

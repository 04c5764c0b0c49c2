import { classify, errorCode } from "@dockwatch/errors";
import { SpanKind, contextFromHeaders, inSpan, traceHeaders } from "@dockwatch/telemetry";
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
  /** Bytes -> input value; throws a RecordError (a CodecError) for bad input. */
  decode(value: Buffer): Promise<In>;
  /** Throws a RecordError for an input it cannot handle, a DependencyError when a dependency failed. */
  transform(input: In, record: SourceRecord): Emitted<Out>[] | Promise<Emitted<Out>[]>;
  /** Throws a RecordError for an output that cannot be written (too large, not the schema). */
  encode(value: Out): Buffer;
  /** Records larger than this are dead-lettered unread. */
  maxMessageBytes?: number;
}

export type Outcome =
  | { kind: "output"; records: OutputRecord[] }
  | { kind: "dead"; record: OutputRecord; reason: string; error: string; cause?: unknown };

/**
 * The per-record decision of a stage: output records, or one dead letter with
 * a reason. A RecordError (a CodecError, a DecodeError) from decode, transform
 * or encode is the record's fault: dead-lettered with its code as the reason.
 * Everything else escapes, for the batch consumer to decide by the taxonomy: a
 * DependencyError (Redis down, a broker error while resolving a schema) holds
 * and retries the batch; an unknown error (a bug) is retried a few times and
 * then stops the service, and is never passed off as a bad record.
 */
export async function processRecord<In, Out>(logic: StageLogic<In, Out>, record: SourceRecord): Promise<Outcome> {
  const dead = (reason: string, error: string, cause?: unknown): Outcome => ({
    kind: "dead",
    reason,
    error,
    record: deadLetter(record, logic.dlqTopic, logic.stage, reason, error),
    ...(cause !== undefined ? { cause } : {}),
  });
  /** The dead letter of a RecordError; any other error is rethrown. */
  const deadOrThrow = (err: unknown): Outcome => {
    if (classify(err) !== "record") throw err;
    return dead(errorCode(err), (err as Error).message, err);
  };
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
      return deadOrThrow(err);
    }
    let emitted: Emitted<Out>[];
    try {
      emitted = await logic.transform(input, record);
    } catch (err) {
      return deadOrThrow(err);
    }
    const headers = traceHeaders(ctx);
    const records: OutputRecord[] = [];
    for (const e of emitted) {
      try {
        records.push({ topic: logic.outputTopic, key: e.key, value: logic.encode(e.value), headers });
      } catch (err) {
        return deadOrThrow(err);
      }
    }
    return { kind: "output", records };
  });
}

import { DLQ_HEADERS } from "@dockwatch/kafka";
import type { IHeaders, Message } from "kafkajs";

// The pure part of `dockwatch dlq`: a dead letter as the stages wrote it
// (libs/kafka deadLetter: original key, bytes and headers, plus the
// dockwatch.* headers saying why and from where), its summary by stage and
// reason, which ones a re-drive selects, and the record a re-drive produces.

export interface DeadLetterView {
  /** Where it sits in the DLQ topic. */
  partition: number;
  offset: string;
  stage: string;
  reason: string;
  error: string;
  failedAt: string;
  source: { topic: string; partition?: number; offset?: string };
  key: Buffer | null;
  value: Buffer;
  /** The original record's headers (trace context), without the DLQ's own. */
  headers: Record<string, Buffer>;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));
/** Set on a re-driven record: which dead letter it was, so a second failure can be traced to the first. */
export const REDRIVEN_HEADER = "dockwatch.redriven.from";

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

export function readDeadLetter(partition: number, message: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders }): DeadLetterView {
  const sourcePartition = header(message.headers, DLQ_HEADERS.partition);
  const sourceOffset = header(message.headers, DLQ_HEADERS.offset);
  const original: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (!DLQ_HEADER_NAMES.has(k) && k !== REDRIVEN_HEADER && first !== undefined) original[k] = Buffer.from(first);
  }
  return {
    partition,
    offset: message.offset,
    stage: header(message.headers, DLQ_HEADERS.stage) ?? "?",
    reason: header(message.headers, DLQ_HEADERS.reason) ?? "?",
    error: header(message.headers, DLQ_HEADERS.error) ?? "",
    failedAt: header(message.headers, DLQ_HEADERS.time) ?? "",
    source: {
      topic: header(message.headers, DLQ_HEADERS.topic) ?? "",
      ...(sourcePartition !== undefined ? { partition: Number(sourcePartition) } : {}),
      ...(sourceOffset !== undefined ? { offset: sourceOffset } : {}),
    },
    key: message.key,
    value: message.value ?? Buffer.alloc(0),
    headers: original,
  };
}

export interface ReasonCount {
  stage: string;
  reason: string;
  count: number;
}

/** Dead letters by stage and reason, most first. */
export function summarize(letters: DeadLetterView[]): ReasonCount[] {
  const counts = new Map<string, ReasonCount>();
  for (const l of letters) {
    const k = `${l.stage}\0${l.reason}`;
    const c = counts.get(k) ?? { stage: l.stage, reason: l.reason, count: 0 };
    c.count += 1;
    counts.set(k, c);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.reason.localeCompare(b.reason));
}

export interface Selection {
  stage?: string;
  reason?: string;
  /** DLQ positions, "partition@offset". */
  positions?: string[];
}

/** The dead letters a selection names: every given criterion must hold. */
export function select(letters: DeadLetterView[], sel: Selection): DeadLetterView[] {
  const positions = sel.positions && sel.positions.length > 0 ? new Set(sel.positions) : undefined;
  return letters.filter(
    (l) => (sel.stage === undefined || l.stage === sel.stage) && (sel.reason === undefined || l.reason === sel.reason) && (!positions || positions.has(`${l.partition}@${l.offset}`)),
  );
}

/** The record a re-drive produces: the original key, bytes and headers, to the topic it came from. */
export function redriveRecord(letter: DeadLetterView, dlqTopic: string): { topic: string; message: Message } {
  if (!letter.source.topic) throw new Error(`dead letter ${letter.partition}@${letter.offset} does not say which topic it came from`);
  return {
    topic: letter.source.topic,
    message: { key: letter.key, value: letter.value, headers: { ...letter.headers, [REDRIVEN_HEADER]: `${dlqTopic}/${letter.partition}@${letter.offset}` } },
  };
}

/** One line of the listing. */
export function describeLetter(l: DeadLetterView): string {
  const from = `${l.source.topic}${l.source.partition !== undefined ? `/${l.source.partition}` : ""}${l.source.offset !== undefined ? `@${l.source.offset}` : ""}`;
  return `${l.partition}@${l.offset}  ${l.stage}  ${l.reason}  from ${from}  ${l.failedAt}  ${l.error.slice(0, 160)}`;
}

import type { DockerEvent, Engine } from "@dockwatch/contracts";
import { boundDockerEvent, DEFAULT_BOUNDS, encodeBounded, type Bounds } from "./bound.js";

// The record the collector publishes on docker.events.raw, pure: the
// collector (services/collector/src/records.ts) adds the clock, the spool and
// the trace headers; the bench's fleet simulator builds the very same records
// without a collector.

/** Byte bounds of a record's fields and of the whole encoded record (under the broker's message.max.bytes). */
export interface RecordBounds extends Bounds {
  recordBytes: number;
}

export const DEFAULT_RECORD_BOUNDS: RecordBounds = { ...DEFAULT_BOUNDS, recordBytes: 786_432 };

/** Everything a record carries besides its kind and its own fields. */
export interface RecordOrigin {
  agent: DockerEvent["agent"];
  engine: Engine;
  receivedAtNano: bigint;
}

/** A DockerEvent of `kind` with every field the kind does not fill set to its empty value. */
export function dockerEventRecord(origin: RecordOrigin, partial: Partial<DockerEvent> & Pick<DockerEvent, "kind">): DockerEvent {
  return {
    agent: origin.agent,
    engine: origin.engine,
    receivedAtNano: origin.receivedAtNano,
    event: null,
    raw: null,
    status: null,
    gap: null,
    inspect: null,
    execInspect: null,
    container: null,
    truncated: false,
    ...partial,
  };
}

/**
 * The Kafka key of a record: the actor (so one container's events keep their
 * order on one partition), the engine for status and gap records and for an
 * engine event without an actor id.
 */
export function recordKey(record: DockerEvent): string {
  if (record.kind === "engine" || record.kind === "synthesized") return record.event?.Actor.ID || record.engine.id;
  return record.engine.id;
}

/** The record bounded, then encoded within `bounds.recordBytes` (halving the field bounds if needed): the bytes that go to the raw topic. */
export function encodeRecord(record: DockerEvent, encode: (v: DockerEvent) => Buffer, bounds: RecordBounds = DEFAULT_RECORD_BOUNDS): Buffer {
  return encodeBounded(record, boundDockerEvent, encode, bounds.recordBytes, bounds).bytes;
}

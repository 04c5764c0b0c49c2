import type { ContainerFacts, DockerEvent, Engine, EngineEvent } from "@dockwatch/contracts";
import type { Codec } from "@dockwatch/codec";
import { DEFAULT_RECORD_BOUNDS, dockerEventRecord, encodeRecord, recordKey, type RecordBounds } from "@dockwatch/docker-event";
import { deadLetterHeaders } from "@dockwatch/kafka";
import { SpanKind, context, startSpan, traceHeaders } from "@dockwatch/telemetry";
import type { SpoolEntry } from "./spool.js";

/** What the collector looked up about an engine event: the container's inspect, the exec's, the related container. */
export type Enrichment = Partial<Pick<DockerEvent, "inspect" | "execInspect" | "container">>;

export const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

export interface RecordsDeps {
  agent: DockerEvent["agent"];
  topics: { raw: string; dlq: string };
  codec: Pick<Codec, "encode">;
  /** Byte bounds of a record's fields and of the whole encoded record (under the broker's message.max.bytes). */
  bounds?: RecordBounds;
}

// The record itself (its empty fields, key, bounds and encoding) is libs/docker-event's.
export { DEFAULT_RECORD_BOUNDS, type RecordBounds };

/**
 * Builds the spool entries the collector publishes, already encoded: a
 * restart publishes the very bytes it spooled. Every record carries the
 * engine it came from, known once the watcher connected.
 */
export function createRecords({ agent, topics, codec, bounds = DEFAULT_RECORD_BOUNDS }: RecordsDeps) {
  let engine: Engine = { id: "unknown", hostname: "unknown", version: "unknown", apiVersion: "unknown" };

  const record = (partial: Partial<DockerEvent> & Pick<DockerEvent, "kind">): DockerEvent => dockerEventRecord({ agent, engine, receivedAtNano: nowNanos() }, partial);

  function raw(value: DockerEvent): SpoolEntry {
    // The span marks the record's birth; its context travels in the headers to the decoder.
    const { span, ctx } = startSpan("collector publish", context.active(), SpanKind.PRODUCER);
    span.setAttribute("messaging.destination.name", topics.raw);
    span.end();
    // Bounded before it is spooled: a record the broker refuses would block every record behind it.
    const bytes = encodeRecord(value, (v) => codec.encode("DockerEvent", v), bounds);
    return { topic: topics.raw, key: recordKey(value), value: bytes, headers: traceHeaders(ctx) };
  }

  return {
    get engine(): Engine {
      return engine;
    },
    setEngine(info: Engine): void {
      engine = info;
    },
    event: (event: EngineEvent, line: string, found: Enrichment) => raw(record({ kind: "engine", event, raw: line, ...found })),
    synthesized: (event: EngineEvent, inspect: ContainerFacts | null) => raw(record({ kind: "synthesized", event, inspect })),
    status: (state: "connected" | "lost" | "heartbeat", message: string) => raw(record({ kind: "status", status: { state, message } })),
    gap: (fromNano: bigint, toNano: bigint, dropped: number, reason: string) => raw(record({ kind: "gap", gap: { fromNano, toNano, dropped: BigInt(dropped), reason } })),
    /** A line the engine sent that is not an event: kept verbatim in the dead-letter topic. */
    deadLetter: (line: string, error: string): SpoolEntry => ({
      topic: topics.dlq,
      key: engine.id,
      value: Buffer.from(line),
      headers: deadLetterHeaders({ stage: "collector", reason: "invalid-engine-event", error, source: { topic: "docker-engine:/events" } }),
    }),
  };
}

export type Records = ReturnType<typeof createRecords>;

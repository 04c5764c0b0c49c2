import type { Codec } from "@dockwatch/codec";
import type { DockerEvent } from "@dockwatch/contracts";
import { boundDockerEvent, encodeBounded } from "@dockwatch/docker-event";
import { deadLetterHeaders } from "@dockwatch/kafka";
import type { RecordBounds } from "./records.js";
import type { SpoolEntry } from "./spool.js";

export interface RefitDeps {
  topics: { raw: string; dlq: string };
  codec: Pick<Codec, "encode" | "decode">;
  bounds: RecordBounds;
}

/** The part of a refused record a dead letter keeps: the topic that refused it would refuse it whole. */
const DEAD_LETTER_VALUE_BYTES = 65_536;

/**
 * What to send instead of a spooled record the broker refused (too large for
 * its message.max.bytes, which may be below ours, or spooled by an older
 * collector without bounds): the same event cut to a quarter of the record
 * bound (COLLECTOR_MAX_RECORD_BYTES / 4), flagged truncated, so it still reaches the rules; a record that is
 * not a raw event, or cannot be read, goes to the dead-letter topic with its
 * head and the reason. Never the same bytes again: they would be refused again.
 */
export function createRefit({ topics, codec, bounds }: RefitDeps) {
  // Only the whole record's bound is tighter: encodeBounded halves the field bounds until it fits.
  const tighter: RecordBounds = { ...bounds, recordBytes: Math.max(16_384, Math.floor(bounds.recordBytes / 4)) };

  function deadLetter(entry: SpoolEntry, error: string): SpoolEntry {
    return {
      topic: topics.dlq,
      key: entry.key,
      value: entry.value.subarray(0, DEAD_LETTER_VALUE_BYTES),
      headers: {
        ...deadLetterHeaders({ stage: "collector", reason: "kafka-record-rejected", error, source: { topic: entry.topic } }),
        "dockwatch.original.bytes": String(entry.value.length),
      },
    };
  }

  return async (entry: SpoolEntry, error: string): Promise<SpoolEntry> => {
    if (entry.topic !== topics.raw || entry.value.length <= tighter.recordBytes) return deadLetter(entry, error);
    try {
      const value = await codec.decode<DockerEvent>("DockerEvent", entry.value);
      const { bytes } = encodeBounded(value, boundDockerEvent, (v) => codec.encode("DockerEvent", v), tighter.recordBytes, tighter);
      return { ...entry, value: bytes };
    } catch (err) {
      return deadLetter(entry, `${error}; could not be cut: ${(err as Error).message}`);
    }
  };
}

export type Refit = ReturnType<typeof createRefit>;

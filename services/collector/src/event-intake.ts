import type { EngineEvent } from "@dockwatch/contracts";
import { parseEngineLine, truncateUtf8 } from "@dockwatch/docker-event";
import { classify } from "@dockwatch/errors";
import type { Logger, Metrics } from "@dockwatch/runtime";
import type Docker from "dockerode";
import type { Checkpoint } from "./checkpoint.js";
import type { Inspector } from "./inspector.js";
import { nowNanos, type Records } from "./records.js";
import type { Reconciler } from "./reconciler.js";
import type { SpoolWriter } from "./spool-writer.js";

export interface IntakeDeps {
  /** The watcher's read checkpoint (it owns it; a reconnect loads it again). */
  checkpoint: () => Checkpoint;
  writer: SpoolWriter;
  records: Records;
  reconciler: Reconciler;
  inspector: Inspector;
  logger: Logger;
  metrics: Metrics;
}

export interface Intake {
  /** An engine line as an event, or undefined when it is none (then it is dead-lettered). */
  parse(line: string): EngineEvent | undefined;
  /** Spools an event once: enriched, advancing the checkpoint and the inventory in the same commit as its record, never before it. */
  accept(docker: Docker, event: EngineEvent, line: string): Promise<void>;
}

/** What a dead-lettered engine line keeps (the dead-letter topic has the broker's size limit too). */
const DEAD_LETTER_LINE_BYTES = 65_536;

/** What happens to each engine line the watcher reads, replayed or live. */
export function createIntake({ checkpoint, writer, records, reconciler, inspector, logger, metrics }: IntakeDeps): Intake {
  return {
    parse(line) {
      try {
        return parseEngineLine(line);
      } catch (err) {
        // Only a bad line is the line's fault; anything else is ours and must not be dead-lettered.
        if (classify(err) !== "record") throw err;
        logger.warn({ err }, "engine line dead-lettered");
        metrics.inc("dead_letters_total", "engine lines dead-lettered");
        writer.append(records.deadLetter(line, (err as Error).message), nowNanos());
        return undefined;
      }
    },
    async accept(docker, event, line) {
      const cp = checkpoint();
      // `since` replays the checkpoint's events: they are in the spool already.
      if (cp.has(event)) {
        metrics.inc("replayed_duplicates_total", "engine events skipped because they were already spooled");
        return;
      }
      const inspect = await inspector.factsFor(docker, event);
      const execInspect = await inspector.execFor(docker, event);
      const container = reconciler.related(event);
      // The record first (building and encoding it can fail): an event whose
      // record does not exist is never marked as read, so a replay asks the
      // engine for it again. The checkpoint is staged before the append, so a
      // commit the append triggers carries both in one transaction.
      let entry;
      try {
        entry = records.event(event, line, { inspect, execInspect, container });
      } catch (err) {
        // An event no bound makes into a record (a record error, not a bug of ours):
        // its line, cut, is its record in the dead-letter topic, so it cannot jam the replay.
        if (classify(err) !== "record") throw err;
        logger.error({ err, type: event.Type, action: truncateUtf8(event.Action, 200) }, "engine event dead-lettered: no record could be built");
        metrics.inc("dead_letters_total", "engine lines dead-lettered");
        entry = records.deadLetter(truncateUtf8(line, DEAD_LETTER_LINE_BYTES), (err as Error).message);
      }
      cp.add(event);
      writer.saveCheckpoint(cp);
      writer.append(entry, event.timeNano);
      reconciler.track(event);
      metrics.inc("events_total", "engine events spooled");
    },
  };
}

import type { EngineEvent } from "@dockwatch/contracts";
import type { Component, Logger, Metrics } from "@dockwatch/runtime";
import type Docker from "dockerode";
import { listContainers } from "./engine.js";
import { dockerTimeToNanos, factsFromInspect, type ContainerInspect } from "./facts.js";
import type { Inspector } from "./inspector.js";
import { applyChange, inventoryChange, reconcile, relatedContainer, type Inventory, type Transition } from "./inventory.js";
import type { Records } from "./records.js";
import type { SpoolWriter } from "./spool-writer.js";

const SYNTHESIZED_ATTRIBUTE = "dockwatch.synthesized";

export interface ReconcilerDeps {
  writer: SpoolWriter;
  records: Records;
  inspector: Inspector;
  logger: Logger;
  metrics: Metrics;
}

export interface Reconciler extends Component {
  /** First start (no stored inventory): what runs now is the baseline, not news. */
  baseline(docker: Docker): Promise<void>;
  /** A spooled container event changes the known inventory (committed with the same batch). */
  track(event: EngineEvent): void;
  /** The container a network or volume event concerns, with its known name. */
  related(event: EngineEvent): ReturnType<typeof relatedContainer>;
  /**
   * History was lost between `fromNano` and `toNano`: say so with a gap
   * record, then turn the difference between the last known inventory (plus
   * what the replay still tells) and the engine's current list into
   * synthesized container events.
   */
  historyGap(docker: Docker, fromNano: bigint, toNano: bigint, replay: EngineEvent[]): Promise<void>;
}

/** When a synthesized transition happened, if the inspect knows; else the end of the gap. */
function transitionTime(t: Transition, ins: ContainerInspect | undefined): bigint | undefined {
  if (t.action === "create") return dockerTimeToNanos(ins?.Created);
  if (t.action === "start") return dockerTimeToNanos(ins?.State?.StartedAt);
  if (t.action === "die") return dockerTimeToNanos(ins?.State?.FinishedAt);
  return undefined;
}

export function synthesizedEvent(t: Transition, at: bigint): EngineEvent {
  return {
    Type: "container",
    Action: t.action,
    Actor: { ID: t.id, Attributes: { name: t.name, image: t.image, [SYNTHESIZED_ATTRIBUTE]: "reconciled after a history gap" } },
    scope: "local",
    time: at / 1_000_000_000n,
    timeNano: at,
    status: t.action,
    id: t.id,
    from: t.image,
  };
}

/** Owns the container inventory: kept current by every spooled event, compared with the engine after a history overrun. */
export function createReconciler({ writer, records, inspector, logger, metrics }: ReconcilerDeps): Reconciler {
  let inventory: Inventory = new Map();

  function track(e: EngineEvent): void {
    const change = inventoryChange(inventory, e);
    if (!change) return;
    applyChange(inventory, e.Actor.ID, change);
    writer.saveInventory(e.Actor.ID, change);
  }

  return {
    name: "reconciler",
    async start() {
      inventory = writer.spool.inventory();
    },
    async stop() {},
    async baseline(docker) {
      if (writer.spool.hasInventory()) return;
      const baseline: Inventory = new Map((await listContainers(docker)).map((c) => [c.id, { ...c }]));
      writer.saveBaseline(baseline);
      inventory = baseline;
    },
    track,
    related: (event) => relatedContainer(inventory, event),
    async historyGap(docker, fromNano, toNano, replay) {
      logger.warn({ fromNano: String(fromNano), toNano: String(toNano) }, `engine history overrun between ${fromNano} and ${toNano}; reconciling the container inventory`);
      metrics.inc("history_gaps_total", "times the engine's event history was overrun");
      writer.append(records.gap(fromNano, toNano, 0, "engine history overrun, container state reconciled"), toNano);
      const explained: Inventory = new Map(inventory);
      for (const e of replay) applyChange(explained, e.Actor.ID, inventoryChange(explained, e));
      for (const t of reconcile(explained, await listContainers(docker))) {
        const ins = t.action === "destroy" ? undefined : await inspector.inspect(docker, t.id);
        const facts = ins ? factsFromInspect(ins) : (inspector.cached(t.id) ?? null);
        const at = transitionTime(t, ins) ?? toNano;
        const event = synthesizedEvent(t, at);
        track(event);
        writer.append(records.synthesized(event, facts), at);
        metrics.inc("synthesized_total", "container events synthesized by reconciliation");
      }
      writer.flush();
    },
  };
}

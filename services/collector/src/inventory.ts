import type { EngineEvent } from "@dockwatch/contracts";

/** What the collector last knew of one container, from its events. */
export interface KnownContainer {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
}

export type ContainerState = "created" | "running" | "paused" | "exited";

export type Inventory = Map<string, KnownContainer>;

/** A container as the engine lists it now (GET /containers/json?all=1). */
export interface ListedContainer {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
}

/** The engine's State of a listed container ("restarting", "removing", "dead" count as not running). */
export function listedState(engineState: string | undefined): ContainerState {
  if (engineState === "running" || engineState === "restarting") return "running";
  if (engineState === "paused") return "paused";
  if (engineState === "created") return "created";
  return "exited";
}

/** The inventory change an engine event implies: the updated entry, "removed", or nothing. */
export function inventoryChange(inventory: Inventory, e: EngineEvent): KnownContainer | "removed" | undefined {
  if (e.Type !== "container") return undefined;
  const id = e.Actor.ID;
  const known = inventory.get(id);
  const name = e.Actor.Attributes.name ?? known?.name ?? "";
  const image = e.Actor.Attributes.image ?? known?.image ?? "";
  const next = (state: ContainerState): KnownContainer => ({ id, name, image, state });
  switch (e.Action) {
    case "create":
      return next("created");
    case "start":
    case "unpause":
      return next("running");
    case "pause":
      return next("paused");
    case "die":
      return next("exited");
    case "rename":
      return known ? { ...known, name } : undefined;
    case "destroy":
      return known ? "removed" : undefined;
    default:
      return undefined;
  }
}

export function applyChange(inventory: Inventory, id: string, change: KnownContainer | "removed" | undefined): void {
  if (change === "removed") inventory.delete(id);
  else if (change) inventory.set(id, change);
}

/** One state change found by comparing the last known inventory with the engine's list. */
export interface Transition {
  id: string;
  name: string;
  image: string;
  action: "create" | "start" | "pause" | "unpause" | "die" | "destroy";
}

const active = (s: ContainerState) => s === "running" || s === "paused";

/**
 * The container events that must have happened while history was lost, in a
 * plausible order per container: what the engine lists now versus what the
 * collector last knew. A container created and removed entirely inside the
 * gap leaves no trace in either and cannot be recovered (the gap record says so).
 */
export function reconcile(known: Inventory, listed: ListedContainer[]): Transition[] {
  const out: Transition[] = [];
  const now = new Map(listed.map((c) => [c.id, c]));
  for (const c of listed) {
    const before = known.get(c.id);
    const t = (action: Transition["action"]) => out.push({ id: c.id, name: c.name, image: c.image, action });
    if (!before) {
      t("create");
      if (active(c.state)) t("start");
      if (c.state === "paused") t("pause");
      continue;
    }
    if (!active(before.state) && active(c.state)) t("start");
    if (active(before.state) && !active(c.state)) t("die");
    if (before.state === "running" && c.state === "paused") t("pause");
    if (before.state === "paused" && c.state === "running") t("unpause");
  }
  for (const before of known.values()) {
    if (now.has(before.id)) continue;
    const t = (action: Transition["action"]) => out.push({ id: before.id, name: before.name, image: before.image, action });
    if (active(before.state)) t("die");
    t("destroy");
  }
  return out;
}

/**
 * The container a network or volume event concerns (its `container`
 * attribute), named from the inventory: "Container web connected to network
 * bridge" rather than 64 hex digits. Null for events that name no container.
 */
export function relatedContainer(inventory: Inventory, e: EngineEvent): { id: string; name: string | null } | null {
  if (e.Type === "container") return null;
  const id = e.Actor.Attributes.container;
  if (!id) return null;
  return { id, name: inventory.get(id)?.name || null };
}

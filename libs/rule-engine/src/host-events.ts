import type { Agent, DecodedEvent, Engine } from "@dockwatch/contracts";
import { pythonJsonDumps } from "@dockwatch/docker-event";
import { eventTimeMs, sourceEventId } from "./window.js";

// The bridge between decoded events and the host watch: which events are
// heartbeats, and the decoded-event-shaped input the rule engine turns into a
// "host silent" / "host returned" alert (rules 130950 / 130951 match on
// docker.Type "dockwatch" and docker.Action below), so those alerts go through
// the same rule chain, ALERT_MIN_LEVEL, local overrides and alert builder as
// every other event.

/** What the alert needs to name the host, kept from its newest status event. */
export interface HostSnapshot {
  agent: Agent;
  engine: Engine;
  host: { name: string; hostname: string; ip: string };
}

export interface HostTransition {
  agentId: string;
  state: "silent" | "returned";
  /**
   * When the transition happened, deterministic so a re-emitted alert keeps
   * its id: silent = last seen + silentAfterMs; returned = event time of the
   * heartbeat that ended the silence.
   */
  atMs: number;
  /** silent: when it was last seen (event time of its newest status event); returned: event time of its last status event before the silence. */
  lastSeenMs: number;
  snapshot: HostSnapshot | null;
}

export interface Heartbeat {
  agentId: string;
  /** Id of the source event (sourceEventId): a redelivery of the event that ended a silence re-announces that return. */
  eventId: string;
  /** The collector's time of the status event. */
  eventTimeMs: number;
  /** The rules instance's clock now (for logs; silence is judged on event time against the pipeline's watermark). */
  nowMs: number;
  snapshot?: HostSnapshot;
}

export const HOST_ACTIONS = { silent: "host_silent", returned: "host_returned" } as const;

/** The shipped rules for these events (ruleset/0500-dockwatch-collector.yml owns them). */
export const HOST_RULE_IDS = { silent: "130950", returned: "130951" } as const;

const STATUS_ACTIONS = new Set(["heartbeat", "connected", "lost"]);

/** A collector status event: proof that its agent's collector is alive (even "lost": its engine is gone, not the collector). */
export function isCollectorStatus(event: DecodedEvent): boolean {
  return event.kind === "status" && event.docker.Type === "dockwatch" && STATUS_ACTIONS.has(event.docker.Action);
}

export function hostSnapshot(event: DecodedEvent): HostSnapshot {
  return { agent: event.agent, engine: event.engine, host: event.host };
}

/** The host watch's input for a status event, or undefined for any other event. */
export function heartbeatOf(event: DecodedEvent, nowMs: number): Heartbeat | undefined {
  if (!isCollectorStatus(event)) return undefined;
  return { agentId: event.agent.id, eventId: sourceEventId(event), eventTimeMs: eventTimeMs(event), nowMs, snapshot: hostSnapshot(event) };
}

/** `125000` -> `2m5s`: how long, in the alert's words. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join("");
}

/**
 * The decoded event for a host transition. Its time is the transition's
 * deterministic time, so the alert id (a hash of engine, agent, time, actor,
 * action) is the same when the transition is re-emitted. Attributes:
 * `agent` (name), `engine` (hostname), `lastSeen` (ISO), `silentFor` (`2m5s`).
 */
export function hostAlertEvent(t: HostTransition): DecodedEvent {
  const agent = t.snapshot?.agent ?? { id: t.agentId, name: t.agentId, ip: "" };
  const engine = t.snapshot?.engine ?? { id: "", hostname: "", version: "", apiVersion: "" };
  const host = t.snapshot?.host ?? { name: agent.name, hostname: engine.hostname, ip: agent.ip };
  const action = HOST_ACTIONS[t.state];
  const timeNano = BigInt(t.atMs) * 1_000_000n;
  const time = timeNano / 1_000_000_000n;
  const attributes = {
    agent: agent.name,
    engine: engine.hostname,
    lastSeen: new Date(t.lastSeenMs).toISOString(),
    silentFor: formatDuration(t.atMs - t.lastSeenMs),
  };
  const actor = { ID: t.agentId, Attributes: attributes };
  const message =
    t.state === "silent"
      ? `nothing received from agent ${agent.name} since ${attributes.lastSeen}`
      : `agent ${agent.name} reporting again after ${attributes.silentFor} of silence`;
  return {
    kind: "status",
    agent,
    engine,
    docker: { status: action, id: t.agentId, from: null, Type: "dockwatch", Action: action, Actor: actor, scope: "local", time: time.toString(), timeNano: timeNano.toString() },
    fullLog: `{"integration": "docker", "docker": ${pythonJsonDumps({ Type: "dockwatch", Action: action, Actor: actor, scope: "local", time, timeNano })}}`,
    timestamp: new Date(t.atMs).toISOString(),
    event: { action, type: ["info"], category: ["host"] },
    container: null,
    exec: null,
    inspect: null,
    host,
    message,
    receivedAtNano: timeNano,
    truncated: false,
  };
}

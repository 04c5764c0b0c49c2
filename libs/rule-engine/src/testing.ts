/**
 * Decoded events for tests of rules, built from compact sketches (the form
 * the rule fixtures are written in) through the real collector parser and
 * decoder, so a rule test sees exactly what the pipeline would give it.
 */
import type { Agent, ContainerFacts, DecodedEvent, DockerEvent, Engine, ExecFacts } from "@dockwatch/contracts";
import { decodeEvent, parseEngineLine } from "@dockwatch/docker-event";
import type { AlertContext } from "./alert.js";
import { hostAlertEvent } from "./host-events.js";

/** A compact event description, as the fixtures write it. */
export interface EventSketch {
  type: string;
  action: string;
  id?: string;
  attributes?: Record<string, string>;
  inspect?: Partial<ContainerFacts>;
  /** The collector's exec inspect (DockerEvent.execInspect) for an exec event; program and arguments default to the action's. */
  exec?: Partial<ExecFacts>;
  agent?: { id?: string; name?: string };
  message?: string;
  kind?: DecodedEvent["kind"];
  timeNano?: string;
  /**
   * The engine's event format: "old" (the default: status, id and from beside
   * Type/Action/Actor, as engines before API 1.52 write it) or "api152" (API
   * >= 1.52: Type/Action/Actor only).
   */
  format?: "old" | "api152";
  /** The collector cut oversized fields of the event (DockerEvent.truncated). */
  truncated?: boolean;
}

export const PLAIN_FACTS: ContainerFacts = {
  privileged: false,
  capAdd: [],
  mounts: [],
  networkMode: "bridge",
  pidMode: null,
  ipcMode: "private",
  utsMode: null,
  user: "",
  seccompProfile: null,
  apparmorProfile: null,
  restartPolicy: "no",
  image: "dockwatch/busybox:1.35.0",
  imageId: "sha256:0000",
  healthcheck: null,
};

/** The engine and agent every sketch comes from unless it names its own agent. */
const ENGINE: Engine = { id: "ENGINE", hostname: "host1", version: "20.10.24", apiVersion: "1.41" };
const AGENT_IP = "192.168.122.19";

/**
 * The decoded event for a sketch, made by the real code paths: an engine line
 * (the old API 1.41 format, as dockerd 20.10 writes it) parsed by the
 * collector's parser and decoded by the decoder's decodeEvent; a collector
 * status or gap record decoded the same way; a host silent/returned event
 * built by hostAlertEvent, as the rules service builds it.
 */
export function decodedEvent(s: EventSketch): DecodedEvent {
  const agent: Agent = { id: s.agent?.id ?? "001", name: s.agent?.name ?? "agent001", ip: AGENT_IP };
  const timeNano = BigInt(s.timeNano ?? "1700000000123456789");
  if (s.type === "dockwatch") return collectorEvent(s, agent, timeNano);
  const id = s.id ?? "4ddd5d2a9f4bd2fd9f3e8df3a6d3e5d1a2b3c4d5e6f708192a3b4c5d6e7f8091";
  const attributes = s.attributes ?? {};
  const head = JSON.stringify({
    ...(s.format === "api152" ? {} : { status: s.action, id, from: attributes.image ?? null }),
    Type: s.type,
    Action: s.action,
    Actor: { ID: id, Attributes: attributes },
    scope: "local",
  });
  // time and timeNano as bare integers: JSON.stringify cannot write a bigint.
  const line = `${head.slice(0, -1)},"time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}`;
  const raw: DockerEvent = {
    kind: s.kind ?? "engine",
    agent,
    engine: ENGINE,
    receivedAtNano: timeNano,
    event: parseEngineLine(line),
    raw: line,
    status: null,
    gap: null,
    inspect: s.type === "container" ? { ...PLAIN_FACTS, ...s.inspect } : null,
    execInspect: s.exec ? execInspect(s.action, s.exec) : null,
    container: null,
    truncated: s.truncated ?? false,
  };
  return decodeEvent(raw);
}

function execInspect(action: string, over: Partial<ExecFacts>): ExecFacts {
  const words = action.replace(/^exec_\w+:?\s*/, "").trim().split(/\s+/).filter(Boolean);
  return { id: "e1", user: "", privileged: false, tty: false, entrypoint: words[0] ?? "", arguments: words.slice(1), ...over };
}

function collectorEvent(s: EventSketch, agent: Agent, timeNano: bigint): DecodedEvent {
  if (s.action === "host_silent" || s.action === "host_returned") {
    const atMs = Number(timeNano / 1_000_000n);
    const snapshot = { agent, engine: ENGINE, host: { name: agent.name, hostname: ENGINE.hostname, ip: agent.ip } };
    return hostAlertEvent({ agentId: agent.id, state: s.action === "host_silent" ? "silent" : "returned", atMs, lastSeenMs: atMs - 120_000, snapshot });
  }
  const record = { agent, engine: ENGINE, receivedAtNano: timeNano, event: null, raw: null, inspect: null, execInspect: null, container: null, truncated: false };
  if (s.action === "gap") {
    return decodeEvent({ ...record, kind: "gap", status: null, gap: { fromNano: timeNano - 1_000_000_000n, toNano: timeNano, dropped: 0n, reason: s.message ?? "history overrun" } });
  }
  // A state outside today's three stands for a newer collector's status record.
  const state = s.action as "connected" | "lost" | "heartbeat";
  return decodeEvent({ ...record, kind: "status", status: { state, message: s.message ?? "" }, gap: null });
}

/** The alert context tests evaluate with: fixed identity, the given time and anything else overridden. */
export function testAlertContext(overrides: Partial<AlertContext> = {}): AlertContext {
  return {
    manager: { name: "m" },
    cluster: { name: "c", node: "n" },
    location: "Wazuh-Docker",
    version: "0.1.0",
    ruleset: "test",
    now: new Date(0),
    utcOffsetMinutes: 0,
    ...overrides,
  };
}

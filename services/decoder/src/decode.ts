import type { DecodedEvent, DockerEvent, EngineEvent, WazuhDocker } from "@dockwatch/contracts";
import { parseLossless, pythonJsonDumps } from "./python-json.js";

/** A raw record the decoder cannot turn into a normalized one (goes to the DLQ). */
export class DecodeError extends Error {
  override name = "DecodeError";
}

/**
 * data.docker as the seed shows it. Newer engines (API >= 1.52) omit the
 * deprecated status/id/from; they are filled from Action, Actor.ID and the
 * image attribute so rules on docker.status work on every engine version.
 */
export function wazuhView(ev: EngineEvent): WazuhDocker {
  return {
    status: ev.status ?? ev.Action,
    id: ev.id ?? ev.Actor.ID,
    from: ev.from ?? ev.Actor.Attributes.image ?? null,
    Type: ev.Type,
    Action: ev.Action,
    Actor: { ID: ev.Actor.ID, Attributes: { ...ev.Actor.Attributes } },
    scope: ev.scope,
    time: ev.time.toString(),
    timeNano: ev.timeNano.toString(),
  };
}

/** The engine's event as Python's docker-listener logged it, digits verbatim. */
export function fullLog(raw: DockerEvent): string {
  let docker: unknown;
  if (raw.raw !== null) {
    try {
      docker = parseLossless(raw.raw);
    } catch {
      throw new DecodeError("raw engine line is not JSON");
    }
  } else {
    docker = raw.event ?? { status: raw.status, gap: raw.gap };
  }
  return `{"integration": "docker", "docker": ${pythonJsonDumps(docker)}}`;
}

const EVENT_TYPE: Record<string, string[]> = {
  create: ["creation"],
  start: ["start"],
  restart: ["start"],
  unpause: ["start"],
  stop: ["end"],
  die: ["end"],
  kill: ["end"],
  pause: ["change"],
  destroy: ["deletion"],
  delete: ["deletion"],
  remove: ["deletion"],
  rename: ["change"],
  update: ["change"],
};

const EVENT_CATEGORY: Record<string, string[]> = {
  container: ["process"],
  image: ["package"],
  network: ["network"],
  volume: ["file"],
  secret: ["configuration"],
  config: ["configuration"],
  daemon: ["host"],
};

const nanosToIso = (nanos: bigint) => new Date(Number(nanos / 1_000_000n)).toISOString();

/** A status or gap record of the collector, in the same shape as an engine event. */
function collectorEvent(raw: DockerEvent): EngineEvent {
  const action = raw.kind === "gap" ? "gap" : (raw.status?.state ?? raw.kind);
  const nanos = raw.kind === "gap" && raw.gap ? raw.gap.toNano : raw.receivedAtNano;
  return {
    Type: "dockwatch",
    Action: action,
    Actor: { ID: raw.engine.id, Attributes: { agent: raw.agent.name, engine: raw.engine.hostname } },
    scope: "local",
    time: nanos / 1_000_000_000n,
    timeNano: nanos,
    status: null,
    id: null,
    from: null,
  };
}

function message(raw: DockerEvent): string | null {
  if (raw.status) return raw.status.message;
  if (raw.gap) {
    return `events between ${nanosToIso(raw.gap.fromNano)} and ${nanosToIso(raw.gap.toNano)} may be missing (${raw.gap.reason}; ${raw.gap.dropped} dropped)`;
  }
  return null;
}

/** `exec_start: sh -c ls` -> { action: exec_start, command: sh, args: [-c, ls] }. */
export function splitExec(action: string): DecodedEvent["exec"] {
  const match = /^(exec_(?:create|start|die|detach|resize))(?::\s*(.*))?$/s.exec(action);
  if (!match) return null;
  const words = (match[2] ?? "").trim().split(/\s+/).filter(Boolean);
  return { action: match[1]!, command: words[0] ?? "", args: words.slice(1) };
}

/** raw DockerEvent -> DecodedEvent: the pure core of the decoder service. */
export function decodeEvent(raw: DockerEvent): DecodedEvent {
  const isEngine = raw.kind === "engine" || raw.kind === "synthesized";
  if (isEngine && !raw.event) throw new DecodeError(`a ${raw.kind} record without its event`);
  const ev = isEngine ? raw.event! : collectorEvent(raw);
  if (!ev.Type || !ev.Action) throw new DecodeError("event without Type or Action");
  const docker = wazuhView(ev);
  const attributes = ev.Actor.Attributes;
  return {
    kind: raw.kind,
    agent: raw.agent,
    engine: raw.engine,
    docker,
    fullLog: fullLog(raw),
    timestamp: nanosToIso(ev.timeNano),
    event: {
      action: ev.Action,
      type: EVENT_TYPE[ev.Action.split(":")[0]!] ?? ["info"],
      category: EVENT_CATEGORY[ev.Type] ?? [],
    },
    container:
      ev.Type === "container"
        ? {
            id: ev.Actor.ID,
            name: attributes.name ?? null,
            imageName: attributes.image ?? null,
            labels: Object.fromEntries(Object.entries(attributes).filter(([k]) => k !== "name" && k !== "image")),
          }
        : null,
    exec: ev.Type === "container" ? splitExec(ev.Action) : null,
    inspect: raw.inspect,
    host: { name: raw.agent.name, hostname: raw.engine.hostname, ip: raw.agent.ip },
    message: message(raw),
    receivedAtNano: raw.receivedAtNano,
  };
}

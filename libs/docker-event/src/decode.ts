import { RecordError } from "@dockwatch/errors";
import type { DecodedEvent, DockerEvent, EngineEvent, WazuhDocker } from "@dockwatch/contracts";
import { categorize, containerFields } from "./ecs.js";
import { parseLossless, plainJsonToPython, pythonJsonDumps } from "./python-json.js";
import { createRedactor, type Redactor } from "./redact.js";

/** A raw record the decoder cannot turn into a normalized one (goes to the DLQ). */
export class DecodeError extends RecordError {
  constructor(message: string, code = "undecodable") {
    super(code, message);
  }
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

/**
 * The engine's event as Python's docker-listener logged it, digits verbatim.
 * Secrets are masked inside the string values before serializing, so the
 * result is still valid JSON.
 */
export function fullLog(raw: DockerEvent, redactor: Redactor = DEFAULT_REDACTOR): string {
  let docker: unknown;
  if (raw.raw !== null) {
    // Plain JSON: rewritten in one pass, redacting its strings unless nothing in the line can be masked.
    const plain = plainJsonToPython(raw.raw, redactor.leavesAlone(raw.raw) ? undefined : redactor);
    if (plain !== undefined) return `{"integration": "docker", "docker": ${plain}}`;
    try {
      docker = parseLossless(raw.raw);
    } catch {
      throw new DecodeError("raw engine line is not JSON");
    }
  } else {
    docker = raw.event ?? { status: raw.status, gap: raw.gap };
  }
  return `{"integration": "docker", "docker": ${pythonJsonDumps(redactor.value(docker))}}`;
}

/** The default rules only (REDACT_PATTERNS adds to them in the service). */
export const DEFAULT_REDACTOR = createRedactor();

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

type ExecLine = Pick<NonNullable<DecodedEvent["exec"]>, "action" | "command" | "args">;

/** `exec_start: sh -c ls` -> { action: exec_start, command: sh, args: [-c, ls] }. */
export function splitExec(action: string): ExecLine | null {
  const match = /^(exec_(?:create|start|die|detach|resize))(?::\s*(.*))?$/s.exec(action);
  if (!match) return null;
  const words = (match[2] ?? "").trim().split(/\s+/).filter(Boolean);
  return { action: match[1]!, command: words[0] ?? "", args: words.slice(1) };
}

/** Root: an empty user (the image default), "root" or uid 0, with any group. */
const ROOT_USER = /^(?:|root|0)(?::.*)?$/;

/**
 * The command line a configured healthcheck runs as an exec: ["CMD-SHELL", c]
 * as "/bin/sh -c c", ["CMD", a, b...] as "a b ..."; none for NONE or no test.
 */
export function healthcheckCommand(test: readonly string[] | null | undefined): string[] | undefined {
  if (!test || test.length < 2) return undefined;
  if (test[0] === "CMD-SHELL") return ["/bin/sh", "-c", test.slice(1).join(" ")];
  if (test[0] === "CMD") return test.slice(1);
  return undefined;
}

/**
 * The exec's facts: from the collector's exec inspect (its user, privilege,
 * tty, program and arguments) and the container's inspect (its configured
 * user and healthcheck). The effective user is the exec's own, else the
 * container's; the exec is the healthcheck when its command line is the
 * configured one (from the exec inspect, else from the action's text).
 */
export function execFacts(line: ExecLine, exec: DockerEvent["execInspect"], inspect: DockerEvent["inspect"]): NonNullable<DecodedEvent["exec"]> {
  const own = exec?.user ? exec.user : null;
  const configured = inspect ? (inspect.user ?? "") : null;
  const effectiveUser = own ?? (exec || inspect ? (configured ?? "") : null);
  const known = own !== null || inspect !== null;
  const commandLine = exec ? [exec.entrypoint, ...exec.arguments] : [line.command, ...line.args];
  const health = healthcheckCommand(inspect?.healthcheck);
  const healthcheck = health !== undefined && (exec ? commandLine.join("\u0000") === health.join("\u0000") : commandLine.join(" ") === health.join(" ").trim().split(/\s+/).join(" "));
  // Named fields, not a spread of `line`: V8's spread with added fields cost
  // about 4 µs per exec record here.
  return {
    action: line.action,
    command: line.command,
    args: line.args,
    user: own,
    privileged: exec ? exec.privileged : null,
    tty: exec ? exec.tty : null,
    effectiveUser: known ? effectiveUser : null,
    root: known && effectiveUser !== null ? ROOT_USER.test(effectiveUser) : null,
    healthcheck,
  };
}

function decodedExec(ev: EngineEvent, raw: DockerEvent, redactor: Redactor): DecodedEvent["exec"] {
  if (ev.Type !== "container") return null;
  const line = splitExec(ev.Action);
  if (!line) return null;
  const exec = raw.execInspect && redactor.value(raw.execInspect);
  return execFacts(line, exec, raw.inspect);
}

/**
 * raw DockerEvent -> DecodedEvent: the pure core of the decoder service.
 * Everything is derived from the redacted engine event (so `--password x`
 * cannot survive in exec.args as a lone "x"); full_log is masked inside its
 * JSON; the collector's inspect facts and messages are masked on their own.
 * agent/engine/host come from the operator's configuration, not from users.
 */
export function decodeEvent(raw: DockerEvent, redactor: Redactor = DEFAULT_REDACTOR): DecodedEvent {
  const isEngine = raw.kind === "engine" || raw.kind === "synthesized";
  if (isEngine && !raw.event) throw new DecodeError(`${raw.kind} record without its event`);
  const original = isEngine ? raw.event! : collectorEvent(raw);
  if (!original.Type || !original.Action || !original.Actor) throw new DecodeError("event without Type, Action or Actor");
  const ev = redactor.value(original);
  const docker = wazuhView(ev);
  return {
    kind: raw.kind,
    agent: raw.agent,
    engine: raw.engine,
    docker,
    fullLog: fullLog(raw, redactor),
    timestamp: nanosToIso(ev.timeNano),
    event: eventFields(ev),
    container: containerFields(ev, raw.container && redactor.value(raw.container)),
    exec: decodedExec(ev, raw, redactor),
    inspect: raw.inspect && redactor.value(raw.inspect),
    host: { name: raw.agent.name, hostname: raw.engine.hostname, ip: raw.agent.ip },
    message: redactMessage(message(raw), redactor),
    receivedAtNano: raw.receivedAtNano,
    truncated: raw.truncated,
  };
}

function eventFields(ev: EngineEvent): DecodedEvent["event"] {
  const { category, type } = categorize(ev.Type, ev.Action);
  return { action: ev.Action, category, type };
}

const redactMessage = (m: string | null, redactor: Redactor) => (m === null ? null : redactor.text(m));

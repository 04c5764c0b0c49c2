import type { Agent, DecodedEvent, DockerEvent, Engine, EngineEvent } from "@dockwatch/contracts";
import { alertDocument } from "@dockwatch/contracts";
import { decodeEvent } from "@dockwatch/docker-event";
import { buildAlert, type AlertContext } from "./alert.js";
import type { CorrelationHit, Correlator } from "./correlator.js";
import { chainAlerts, correlationAlerts } from "./evaluate.js";
import type { Ruleset } from "./engine/compile.js";
import { fieldValues } from "./engine/fields.js";
import { matchEvent, type MatchResult } from "./engine/match.js";

/** Something logtest could not read as an event. */
export class LogtestInputError extends Error {
  override name = "LogtestInputError";
}

/**
 * The JSON values of the input: one document (possibly spread over lines) or
 * a stream of them (one per line, or simply concatenated). Each comes with its
 * own text, so the engine's 19-digit timeNano keeps its exact digits.
 */
export function splitJsonValues(input: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) values.push(input.slice(start, i + 1));
      if (depth < 0) throw new LogtestInputError(`unbalanced "${ch}" at offset ${i}`);
    } else if (depth === 0 && !/\s/.test(ch!)) {
      throw new LogtestInputError(`expected a JSON object at offset ${i}, found "${ch}"`);
    }
  }
  if (depth !== 0) throw new LogtestInputError("input ends inside a JSON value");
  return values;
}

/** The digits of an integer field in the text, verbatim (JSON.parse would round them). */
const exactInteger = (text: string, key: string) => new RegExp(`"${key}"\\s*:\\s*(-?\\d+)`).exec(text)?.[1];

export interface LogtestIdentity {
  agent: Agent;
  engine: Engine;
}

/**
 * An input value as a decoded event: an engine event (what `docker events
 * --format '{{json .}}'` prints), Wazuh's docker-listener record of one, a raw DockerEvent record, or an already
 * decoded event (from the decoded topic). Engine events go through the
 * decoder's own decodeEvent.
 */
export function toDecodedEvent(text: string, identity: LogtestIdentity): DecodedEvent {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new LogtestInputError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new LogtestInputError("not a JSON object");
  if ("docker" in value && "agent" in value) {
    // A decoded event: bigint fields back from their JSON form.
    const decoded = value as unknown as DecodedEvent;
    return { ...decoded, receivedAtNano: BigInt(String(decoded.receivedAtNano ?? 0)), truncated: decoded.truncated === true };
  }
  // Wazuh's docker-listener record ({"integration": "docker", "docker": {...}}, the
  // form of Wazuh's own ruleset tests) carries the engine event under "docker".
  const wazuhRecord = value.integration === "docker" && typeof value.docker === "object" && value.docker !== null;
  const engineEvent = (wazuhRecord ? value.docker : "kind" in value && "event" in value ? value.event : value) as Record<string, unknown> | null;
  if (!engineEvent || typeof engineEvent.Type !== "string" || typeof engineEvent.Action !== "string") {
    throw new LogtestInputError("neither an engine event (Type, Action, Actor) nor a decoded event (docker, agent)");
  }
  const timeNano = BigInt(exactInteger(text, "timeNano") ?? exactInteger(text, "time") ?? "0") * (exactInteger(text, "timeNano") ? 1n : 1_000_000_000n);
  const actor = (engineEvent.Actor ?? { ID: "", Attributes: {} }) as EngineEvent["Actor"];
  const event: EngineEvent = {
    Type: engineEvent.Type,
    Action: engineEvent.Action,
    Actor: { ID: actor.ID ?? "", Attributes: actor.Attributes ?? {} },
    scope: (engineEvent.scope as string | undefined) ?? null,
    time: timeNano / 1_000_000_000n,
    timeNano,
    status: (engineEvent.status as string | undefined) ?? null,
    id: (engineEvent.id as string | undefined) ?? null,
    from: (engineEvent.from as string | undefined) ?? null,
  };
  const raw: DockerEvent = {
    kind: "engine",
    agent: identity.agent,
    engine: identity.engine,
    receivedAtNano: timeNano,
    event,
    raw: "kind" in value || wazuhRecord ? null : text,
    status: null,
    gap: null,
    inspect: "kind" in value ? ((value.inspect as DockerEvent["inspect"]) ?? null) : null,
    execInspect: "kind" in value ? ((value.execInspect as DockerEvent["execInspect"]) ?? null) : null,
    container: "kind" in value ? ((value.container as DockerEvent["container"]) ?? null) : null,
    truncated: "kind" in value && value.truncated === true,
  };
  return decodeEvent(raw);
}

/** Frequency windows kept for one logtest session, so a stream can show a correlation firing (like wazuh-logtest's session). */
export function sessionCorrelator(): Correlator {
  const windows = new Map<string, Set<string>>();
  return {
    async observe(spec, group, eventId, eventTimeMs): Promise<CorrelationHit | null> {
      const start = eventTimeMs - (eventTimeMs % spec.timeframeMs);
      const key = `${spec.ruleId}\u0000${group}\u0000${start}`;
      const ids = windows.get(key) ?? new Set<string>();
      windows.set(key, ids);
      const before = ids.size;
      ids.add(eventId);
      if (ids.size === before || ids.size !== spec.frequency) return null;
      return { ruleId: spec.ruleId, groupKey: group, windowStartMs: start, count: ids.size, correlationId: `${Math.floor(start / 1000)}.logtest` };
    },
  };
}

const FIELDS = [
  "kind",
  "agent.name",
  "docker.Type",
  "docker.Action",
  "docker.status",
  "docker.id",
  "docker.from",
  "docker.Actor.ID",
  "docker.time",
  "docker.timeNano",
  "container.name",
  "container.imageName",
  "exec.command",
  "exec.args",
  "inspect.privileged",
  "inspect.user",
  "inspect.networkMode",
  "inspect.pidMode",
  "inspect.ipcMode",
  "inspect.capAdd",
  "inspect.mounts.source",
  "message",
];

export interface LogtestOutcome {
  event: DecodedEvent;
  match: MatchResult;
  alerts: ReturnType<typeof chainAlerts>;
}

export async function runLogtest(
  text: string,
  ruleset: Ruleset,
  opts: { identity: LogtestIdentity; minLevel: number; ctx: AlertContext; correlator: Correlator },
): Promise<LogtestOutcome> {
  const event = toDecodedEvent(text, opts.identity);
  const match = matchEvent(event, ruleset, true);
  const alerts = chainAlerts(event, match, opts.minLevel, opts.ctx);
  // logtest correlates in memory: it cannot be unavailable.
  alerts.push(...(await correlationAlerts(event, match.correlations, opts.correlator, opts.minLevel, opts.ctx)).alerts);
  return { event, match, alerts };
}

/** wazuh-logtest's report: the decoded fields, the rules tried, the alert. */
export function formatLogtest(text: string, outcome: LogtestOutcome, minLevel: number): string {
  const { event, match, alerts } = outcome;
  const out: string[] = ["**Phase 1: Completed pre-decoding.", `       full event: '${text.replace(/\s*\n\s*/g, " ")}'`, ""];
  out.push("**Phase 2: Completed decoding.", "       name: 'json'");
  for (const path of Object.keys(event.docker.Actor.Attributes).map((k) => `docker.Actor.Attributes.${k}`).concat(FIELDS)) {
    const values = fieldValues(event, path);
    if (values.length > 0) out.push(`       ${path}: '${values.join(", ")}'`);
  }
  out.push("", "**Phase 3: Completed filtering (rules).", "       Rules tried:");
  for (const t of match.trials) {
    const status = t.matched ? "matched" : `no (${t.failed})`;
    out.push(`       ${"  ".repeat(t.depth)}${t.rule.id} (level ${t.rule.level}) ${t.rule.description}: ${status}`);
  }
  for (const rule of match.correlations) out.push(`       counted for frequency rule ${rule.id} (${rule.frequency!.frequency} in ${rule.frequency!.timeframeMs / 1000} s)`);
  const rule = match.rule;
  if (rule) {
    out.push(`       id: '${rule.id}'`, `       level: '${rule.level}'`, `       description: '${alerts[0]?.rule.description ?? rule.description}'`);
    out.push(`       groups: '${JSON.stringify(rule.groups)}'`, `       mail: '${rule.mail}'`);
  } else {
    out.push("       no rule matched");
  }
  if (alerts.length === 0) {
    out.push(rule && rule.level > 0 && rule.level < minLevel ? `**No alert: level ${rule.level} is below ALERT_MIN_LEVEL ${minLevel}.` : "**No alert.");
  }
  for (const alert of alerts) out.push("**Alert to be generated.", JSON.stringify(alertDocument(alert), null, 2));
  return `${out.join("\n")}\n`;
}

export { buildAlert };

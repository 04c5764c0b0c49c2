// The chaos run's known workload, and the alerts it must give, computed here
// and not by the pipeline under test: each record goes through the same pure
// code the stages run (parseEngineLine, decodeEvent, the rule engine's
// evaluate) in this process. Alert ids are deterministic from the source event
// and the rule, so the expected set is exact. Events whose alerts depend on
// correlation timing (they match a frequency rule) are left out of the
// synthetic workload; an engine event that matches one is counted without
// its correlation alert (which would show up as "unexpected", never as missing).
import type { Alert, DecodedEvent, DockerEvent, Engine } from "@dockwatch/contracts";
import { boundDockerEvent, decodeEvent, parseEngineLine } from "@dockwatch/docker-event";
import { evaluate, matchEvent, type AlertContext, type Ruleset } from "@dockwatch/rule-engine";
import { PLAIN_FACTS } from "@dockwatch/rule-engine/testing";

export interface Agent {
  id: string;
  name: string;
  ip: string;
}

/** One expected alert: its id, and the logical alert it is (source event + rule), for duplicate detection. */
export interface ExpectedAlert {
  id: string;
  ruleId: string;
  source: string;
}

/** What an alert document's source event and rule are: the same logical alert under two ids is a duplicate. */
export function logicalKey(doc: { agent?: { id?: string }; rule: { id: string }; data: { docker: { timeNano: string; Actor: { ID: string }; Type: string; Action: string } } }): string {
  const d = doc.data.docker;
  return [doc.agent?.id ?? "", d.timeNano, d.Actor.ID, d.Type, d.Action, doc.rule.id].join("|");
}

/** The actions the synthetic workload cycles through (container, image, network and volume events). */
const ACTIONS: Array<{ type: string; action: string; attributes?: Record<string, string> }> = [
  { type: "container", action: "create" },
  { type: "container", action: "start" },
  { type: "container", action: "pause" },
  { type: "container", action: "unpause" },
  { type: "container", action: "stop" },
  { type: "container", action: "kill", attributes: { signal: "15" } },
  { type: "container", action: "die", attributes: { exitCode: "0" } },
  { type: "container", action: "rename", attributes: { oldName: "/old" } },
  { type: "container", action: "destroy" },
  { type: "image", action: "pull" },
  { type: "image", action: "tag" },
  { type: "volume", action: "create", attributes: { driver: "local" } },
];

/** The engine line an engine would write for an event (old API 1.41 format, as dockerd 20.10 writes it). */
export function engineLine(type: string, action: string, actorId: string, attributes: Record<string, string>, timeNano: bigint): string {
  const head = JSON.stringify({ status: action, id: actorId, from: attributes.image ?? null, Type: type, Action: action, Actor: { ID: actorId, Attributes: attributes }, scope: "local" });
  // time and timeNano as bare integers: JSON.stringify cannot write a bigint.
  return `${head.slice(0, -1)},"time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}`;
}

/** The record a collector would publish for an engine line (what goes to the raw topic), cut to the collector's default bounds as it does. */
export function rawRecord(line: string, agent: Agent, engine: Engine, bound = true): DockerEvent {
  const event = parseEngineLine(line);
  const record: DockerEvent = {
    kind: "engine",
    agent,
    engine,
    receivedAtNano: event.timeNano,
    event,
    raw: line,
    status: null,
    gap: null,
    inspect: event.Type === "container" ? { ...PLAIN_FACTS, image: event.Actor.Attributes.image ?? PLAIN_FACTS.image } : null,
    execInspect: null,
    container: null,
    truncated: false,
  };
  return bound ? boundDockerEvent(record) : record;
}

export interface Expectation {
  ruleset: Ruleset;
  minLevel: number;
  ctx: () => AlertContext;
}

/** The alerts the pipeline must index for one raw record, and whether they depend on correlation. */
export async function expectedAlerts(raw: DockerEvent, exp: Expectation): Promise<{ alerts: ExpectedAlert[]; correlated: boolean; decoded: DecodedEvent }> {
  const decoded = decodeEvent(raw);
  return { ...(await expectedOfDecoded(decoded, exp)), decoded };
}

/** The same for a decoded event (what the rules stage reads), with the alerts themselves. */
export async function expectedOfDecoded(decoded: DecodedEvent, exp: Expectation): Promise<{ alerts: ExpectedAlert[]; correlated: boolean; built: Alert[] }> {
  const correlated = matchEvent(decoded, exp.ruleset).correlations.length > 0;
  // No correlator: frequency rules count nothing, as in logtest.
  const built = await evaluate(decoded, exp.ruleset, { minLevel: exp.minLevel, ctx: exp.ctx() });
  return { alerts: built.map((a) => ({ id: a.id, ruleId: a.rule.id, source: logicalKey({ agent: a.agent, rule: a.rule, data: a.data }) })), correlated, built };
}

/**
 * A generator of synthetic events: each call gives the next record for a
 * container of this scenario (`<prefix>-c<n>`), with an event time from the
 * wall clock and a strictly increasing nanosecond part (unique alert ids).
 */
export class SyntheticWorkload {
  private n = 0;
  private lastNano = 0n;
  constructor(
    readonly prefix: string,
    private readonly agent: Agent,
    private readonly engine: Engine,
    private readonly exp: Expectation,
    private readonly containers = 20,
  ) {}

  /** The next record that gives at least one alert and no correlation, with its expected alerts. */
  async next(now = Date.now(), pad?: string): Promise<{ raw: DockerEvent; key: string; alerts: ExpectedAlert[]; decoded: DecodedEvent }> {
    for (let tries = 0; tries < ACTIONS.length * 2; tries++) {
      const i = this.n++;
      const spec = ACTIONS[i % ACTIONS.length]!;
      const actor = `${this.prefix}-c${i % this.containers}`;
      const attributes: Record<string, string> = { image: "dockwatch/busybox:1.35.0", name: actor, ...spec.attributes, ...(pad ? { pad } : {}) };
      let nano = BigInt(now) * 1_000_000n + BigInt(i % 1_000_000);
      if (nano <= this.lastNano) nano = this.lastNano + 1n;
      this.lastNano = nano;
      // A padded record stays unbounded: it stands for a producer that does not bound (the hostile case).
      const raw = rawRecord(engineLine(spec.type, spec.action, actor, attributes, nano), this.agent, this.engine, !pad);
      const { alerts, correlated, decoded } = await expectedAlerts(raw, this.exp);
      if (alerts.length > 0 && !correlated) return { raw, key: actor, alerts, decoded };
    }
    throw new Error("chaos workload: no action of the list gives a plain alert under this ruleset");
  }
}

import { createHash } from "node:crypto";
import type { Alert, DecodedEvent } from "@dockwatch/contracts";
import type { CompiledRule } from "./engine/compile.js";
import { interpolate } from "./engine/fields.js";
import { mitreOf } from "./mitre.js";

export interface AlertContext {
  manager: { name: string };
  cluster: { name: string; node: string };
  location: string;
  version: string;
  ruleset: string;
  /** When the alert is produced (the seed's timestamp is processing time). */
  now: Date;
  /** Minutes east of UTC for the timestamp's offset (the host's zone by default). */
  utcOffsetMinutes: number;
}

/**
 * `<event epoch seconds>.<number>`: a pure function of the source event (and,
 * for a detection alert, of its rule), so a redelivered event yields the same
 * ids (and the same Elasticsearch _ids), and the chain's alert and each
 * detection alert of one event get different ones.
 */
export function alertId(event: DecodedEvent, detectionRuleId?: string): string {
  const d = event.docker;
  const parts = [event.engine.id, event.agent.id, d.timeNano, d.Actor.ID, d.Type, d.Action];
  if (detectionRuleId !== undefined) parts.push(`rule:${detectionRuleId}`);
  const digest = createHash("sha256").update(parts.join("\u0000")).digest();
  // 40 bits: unique enough within one second of one fleet, short enough to read.
  const number = digest.readUIntBE(0, 5);
  return `${d.time}.${number}`;
}

/** ISO 8601 with milliseconds and a ±hhmm offset, as in the seed: 2018-10-05T17:15:33.892+0200. */
export function formatTimestamp(now: Date, utcOffsetMinutes: number): string {
  const local = new Date(now.getTime() + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(utcOffsetMinutes);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
  return local.toISOString().replace("Z", offset);
}

/**
 * The seed's alert document for `event` matched by `rule`. A correlation
 * alert passes its own `id` (from the correlation window) and the data of the
 * event that completed the window.
 */
export function buildAlert(event: DecodedEvent, rule: CompiledRule, ctx: AlertContext, id = alertId(event)): Alert {
  return {
    timestamp: formatTimestamp(ctx.now, ctx.utcOffsetMinutes),
    rule: {
      level: rule.level,
      description: interpolate(rule.description, event),
      id: rule.id,
      mail: rule.mail,
      groups: [...rule.groups],
      pci_dss: [...rule.compliance.pci_dss],
      gdpr: [...rule.compliance.gdpr],
      hipaa: [...rule.compliance.hipaa],
      nist_800_53: [...rule.compliance.nist_800_53],
      tsc: [...rule.compliance.tsc],
      mitre: mitreOf(rule.mitre),
    },
    agent: event.agent,
    manager: ctx.manager,
    id,
    cluster: ctx.cluster,
    full_log: rule.noFullLog ? null : event.fullLog,
    decoder: { name: "json" },
    data: { integration: "docker", docker: event.docker },
    location: ctx.location,
    // correlation is marked "unavailable" by evaluateEvent when correlation could not count the event.
    dockwatch: { version: ctx.version, ruleset: ctx.ruleset, correlation: "ok", truncated: event.truncated },
    container: event.container ? { ...event.container, inspect: event.inspect } : null,
  };
}

import type { Alert, DecodedEvent } from "@dockwatch/contracts";
import { DependencyError, isRetryable } from "@dockwatch/errors";
import { alertId, buildAlert, type AlertContext } from "./alert.js";
import type { Correlator } from "./correlator.js";
import { eventTimeMs, groupKey, sourceEventId } from "./window.js";
import type { CompiledRule, Ruleset } from "./engine/compile.js";
import { fieldValue } from "./engine/fields.js";
import { matchEvent, type MatchResult } from "./engine/match.js";

/**
 * The chain's alert (the most specific matching rule, if it alerts: level
 * above 0 and at least minLevel), then one alert per matched detection rule,
 * each with its own id from the event and the rule.
 */
export function chainAlerts(event: DecodedEvent, match: MatchResult, minLevel: number, ctx: AlertContext): Alert[] {
  const alerts: Alert[] = [];
  const rule = match.rule;
  if (rule && rule.level > 0 && rule.level >= minLevel) alerts.push(buildAlert(event, rule, ctx));
  for (const detection of match.detections) {
    if (detection.level > 0 && detection.level >= minLevel) alerts.push(buildAlert(event, detection, ctx, alertId(event, detection.id)));
  }
  return alerts;
}

/**
 * Counts the event for each frequency rule it matched; a rule whose window
 * fills gives one correlation alert, with the window's id and this event's data.
 */
export async function correlationAlerts(
  event: DecodedEvent,
  rules: CompiledRule[],
  correlator: Correlator,
  minLevel: number,
  ctx: AlertContext,
): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const rule of rules) {
    const frequency = rule.frequency;
    if (!frequency) continue;
    const group = groupKey(frequency.sameFields, (path) => fieldValue(event, path));
    if (group === undefined) continue;
    let hit;
    try {
      hit = await correlator.observe(
        { ruleId: rule.id, frequency: frequency.frequency, timeframeMs: frequency.timeframeMs, sameFields: frequency.sameFields },
        group,
        sourceEventId(event),
        eventTimeMs(event),
      );
    } catch (err) {
      // Correlation state unavailable: retry the batch rather than lose a count.
      if (isRetryable(err)) throw err;
      throw new DependencyError("correlation-unavailable", `correlation of rule ${rule.id} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    if (hit && rule.level > 0 && rule.level >= minLevel) alerts.push(buildAlert(event, rule, ctx, hit.correlationId));
  }
  return alerts;
}

export interface EvaluateOptions {
  minLevel: number;
  ctx: AlertContext;
  /** Without one, frequency rules count nothing (logtest, the bench). */
  correlator?: Correlator;
}

/** decoded event -> at most one alert from the rule chain, plus detection and correlation alerts. */
export async function evaluate(event: DecodedEvent, ruleset: Ruleset, opts: EvaluateOptions): Promise<Alert[]> {
  const match = matchEvent(event, ruleset);
  const alerts = chainAlerts(event, match, opts.minLevel, opts.ctx);
  if (opts.correlator && match.correlations.length > 0) {
    alerts.push(...(await correlationAlerts(event, match.correlations, opts.correlator, opts.minLevel, opts.ctx)));
  }
  return alerts;
}

import type { Alert, CorrelationState, DecodedEvent } from "@dockwatch/contracts";
import { isRetryable } from "@dockwatch/errors";
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

export interface CorrelationResult {
  alerts: Alert[];
  /**
   * What correlation did for the event: "ok" (every frequency rule it matched
   * was counted, or it matched none) or "unavailable" (the correlation state
   * could not be reached, so the event was not counted).
   */
  correlation: CorrelationState;
}

/**
 * Counts the event for each frequency rule it matched; a rule whose window
 * fills gives one correlation alert, with the window's id and this event's data.
 *
 * When the correlator rejects with a retryable error (its state, Redis, is
 * unreachable), the event is not counted for any of its rules and the result
 * says "unavailable": degrade, don't stop. The choice for correlation rules
 * is "no correlation alert rather than a wrong one": nothing is counted from
 * memory or guessed, so an outage can only make a window miss (a window that
 * straddles it may never reach its frequency), never fire on counts that other
 * instances did not see or fire twice under different ids. A hit already
 * returned before the failure (an earlier rule of the same event) is kept:
 * its window did fill. Any other error (a bug) propagates.
 */
export async function correlationAlerts(
  event: DecodedEvent,
  rules: CompiledRule[],
  correlator: Correlator,
  minLevel: number,
  ctx: AlertContext,
): Promise<CorrelationResult> {
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
      if (isRetryable(err)) return { alerts, correlation: "unavailable" };
      throw err;
    }
    if (hit && rule.level > 0 && rule.level >= minLevel) alerts.push(buildAlert(event, rule, ctx, hit.correlationId));
  }
  return { alerts, correlation: "ok" };
}

export interface EvaluateOptions {
  minLevel: number;
  ctx: AlertContext;
  /** Without one, frequency rules count nothing (logtest, the bench). */
  correlator?: Correlator;
}

export interface Evaluation {
  alerts: Alert[];
  /** "unavailable" when the event matched frequency rules that could not count it; its alerts carry the same mark. */
  correlation: CorrelationState;
}

/**
 * decoded event -> at most one alert from the rule chain, plus detection and
 * correlation alerts, and whether correlation could count the event.
 */
export async function evaluateEvent(event: DecodedEvent, ruleset: Ruleset, opts: EvaluateOptions): Promise<Evaluation> {
  const match = matchEvent(event, ruleset);
  const alerts = chainAlerts(event, match, opts.minLevel, opts.ctx);
  if (!opts.correlator || match.correlations.length === 0) return { alerts, correlation: "ok" };
  const result = await correlationAlerts(event, match.correlations, opts.correlator, opts.minLevel, opts.ctx);
  alerts.push(...result.alerts);
  if (result.correlation === "unavailable") for (const alert of alerts) alert.dockwatch.correlation = "unavailable";
  return { alerts, correlation: result.correlation };
}

/** decoded event -> its alerts (evaluateEvent without the correlation outcome). */
export async function evaluate(event: DecodedEvent, ruleset: Ruleset, opts: EvaluateOptions): Promise<Alert[]> {
  return (await evaluateEvent(event, ruleset, opts)).alerts;
}

import type { Alert, CorrelationState, DecodedEvent } from "@dockwatch/contracts";
import { isRetryable } from "@dockwatch/errors";
import { alertId, buildAlert, type AlertContext } from "./alert.js";
import type { CorrelationHit, Correlator, Observation } from "./correlator.js";
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

/** An event evaluateEvents could not evaluate (its matching threw): the error, for the caller to dead-letter or rethrow. */
export interface EvaluationFailure {
  error: unknown;
}

/**
 * evaluateEvent for a batch of events, with the same result per event, but
 * the correlation of the whole batch in one correlator round trip
 * (Correlator.observeMany) instead of one per event and frequency rule. The
 * observations are made in the order evaluateEvent would make them (events in
 * order, each event's frequency rules in chain order), so every window counts
 * the same events and fires on the same one. Degrading is per event, as in
 * evaluateEvent: an event one of whose observations failed with a retryable
 * error is "unavailable" (its alerts marked), keeping the correlation alerts
 * of the windows its other observations did fill (unlike evaluateEvent, the
 * rules after a failed one were sent too: a window they filled did fill). An
 * event whose evaluation throws comes back as an EvaluationFailure, for the
 * caller to judge as it would the throw; a non-retryable correlator error
 * from observeMany (a bug) rejects the whole call.
 */
export async function evaluateEvents(events: DecodedEvent[], ruleset: Ruleset, opts: EvaluateOptions): Promise<Array<Evaluation | EvaluationFailure>> {
  const correlator = opts.correlator;
  if (!correlator?.observeMany) {
    const out: Array<Evaluation | EvaluationFailure> = [];
    for (const event of events) {
      try {
        out.push(await evaluateEvent(event, ruleset, opts));
      } catch (err) {
        out.push({ error: err });
      }
    }
    return out;
  }
  /** Per event: its chain alerts, and its frequency rules with their observation's index. */
  const planned: Array<{ event: DecodedEvent; alerts: Alert[]; counted: Array<{ rule: CompiledRule; at: number }> } | EvaluationFailure> = [];
  const observations: Observation[] = [];
  for (const event of events) {
    let match: MatchResult;
    let alerts: Alert[];
    try {
      match = matchEvent(event, ruleset);
      alerts = chainAlerts(event, match, opts.minLevel, opts.ctx);
    } catch (err) {
      planned.push({ error: err });
      continue;
    }
    const counted: Array<{ rule: CompiledRule; at: number }> = [];
    for (const rule of match.correlations) {
      const frequency = rule.frequency;
      if (!frequency) continue;
      const group = groupKey(frequency.sameFields, (path) => fieldValue(event, path));
      if (group === undefined) continue;
      counted.push({ rule, at: observations.length });
      observations.push({
        spec: { ruleId: rule.id, frequency: frequency.frequency, timeframeMs: frequency.timeframeMs, sameFields: frequency.sameFields },
        groupKey: group,
        eventId: sourceEventId(event),
        eventTimeMs: eventTimeMs(event),
      });
    }
    planned.push({ event, alerts, counted });
  }
  const outcomes: Array<PromiseSettledResult<CorrelationHit | null>> = observations.length > 0 ? await correlator.observeMany(observations) : [];
  if (outcomes.length !== observations.length) throw new Error(`observeMany answered ${outcomes.length} outcomes for ${observations.length} observations`);
  return planned.map((p) => {
    if ("error" in p) return p;
    const { event, alerts, counted } = p;
    let correlation: CorrelationState = "ok";
    for (const { rule, at } of counted) {
      const outcome = outcomes[at]!;
      if (outcome.status === "rejected") {
        if (!isRetryable(outcome.reason)) throw outcome.reason;
        correlation = "unavailable";
        continue;
      }
      const hit = outcome.value;
      if (hit && rule.level > 0 && rule.level >= opts.minLevel) alerts.push(buildAlert(event, rule, opts.ctx, hit.correlationId));
    }
    if (correlation === "unavailable") for (const alert of alerts) alert.dockwatch.correlation = "unavailable";
    return { alerts, correlation };
  });
}

import type { DecodedEvent } from "@dockwatch/contracts";
import type { CompiledRule, Ruleset } from "./compile.js";
import { valuesAt } from "./fields.js";

/** One step of the walk, for logtest: a rule tried and whether it matched (and why not). */
export interface Trial {
  rule: CompiledRule;
  depth: number;
  matched: boolean;
  /** The first condition that failed, or "silenced by an exception". */
  failed?: string;
}

export interface MatchResult {
  /** The most specific matching rule of the chain (may be level 0: no alert). */
  rule?: CompiledRule;
  /** The matched chain from the root to `rule`. */
  chain: CompiledRule[];
  /** Frequency rules whose parent is in the chain and whose own conditions hold: each counts this event. */
  correlations: CompiledRule[];
  /** Detection rules whose parent is in the chain and whose own conditions hold: each adds its own alert. */
  detections: CompiledRule[];
  trials: Trial[];
}

const SILENCED = "silenced by an exception";

/** Why a rule does not match the event, or undefined when it does. */
function mismatch(rule: CompiledRule, event: DecodedEvent): string | undefined {
  for (const c of rule.conditions) if (!c.holds(valuesAt(event, c.parts))) return c.path;
  if (rule.silencedFor.some((applies) => applies(event))) return SILENCED;
  return undefined;
}

/**
 * Wazuh's walk: from the roots, try a level's rules in trial order (higher
 * level first, then load order); the first that matches is taken and its
 * children are tried next. The deepest rule taken wins, so an event gets at
 * most one alert from the chain. Frequency rules and detection rules below any
 * rule of the chain are collected separately (they take no part in the walk):
 * they add correlation and detection alerts.
 */
export function matchEvent(event: DecodedEvent, ruleset: Ruleset, trace = false): MatchResult {
  const chain: CompiledRule[] = [];
  const trials: Trial[] = [];
  let candidates = ruleset.roots;
  for (let depth = 0; candidates.length > 0; depth++) {
    let taken: CompiledRule | undefined;
    let silenced = false;
    for (const rule of candidates) {
      // A catch-all is for events no rule knows, not for one an exception silenced.
      if (rule.fallback && silenced) continue;
      const failed = mismatch(rule, event);
      if (failed === SILENCED) silenced = true;
      if (trace) trials.push({ rule, depth, matched: failed === undefined, ...(failed ? { failed } : {}) });
      if (failed === undefined) {
        taken = rule;
        break;
      }
    }
    if (!taken) break;
    chain.push(taken);
    candidates = ruleset.children.get(taken.id) ?? [];
  }
  const correlations: CompiledRule[] = [];
  for (const parent of chain) {
    for (const rule of ruleset.correlations.get(parent.id) ?? []) {
      if (!correlations.includes(rule) && mismatch(rule, event) === undefined) correlations.push(rule);
    }
  }
  const detections: CompiledRule[] = [];
  for (const parent of chain) {
    for (const rule of ruleset.detections.get(parent.id) ?? []) {
      if (detections.includes(rule)) continue;
      const failed = mismatch(rule, event);
      if (trace) trials.push({ rule, depth: chain.indexOf(parent) + 1, matched: failed === undefined, ...(failed ? { failed } : {}) });
      if (failed === undefined) detections.push(rule);
    }
  }
  return { rule: chain.at(-1), chain, correlations, detections, trials };
}

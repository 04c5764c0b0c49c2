import { createHash } from "node:crypto";
import type { DecodedEvent } from "@dockwatch/contracts";

// The walking skeleton's ruleset: the seed's four container rules under a
// level-0 parent. The YAML rule engine (its own issue) replaces this module.

export interface Rule {
  id: string;
  level: number;
  description: string;
  groups: string[];
  parent?: string;
  /** Exact values of dotted fields of the decoded event (`docker.Action`). */
  match: Record<string, string>;
  mail?: boolean;
}

export const SKELETON_RULES: Rule[] = [
  { id: "87900", level: 0, description: "Docker events.", groups: ["docker"], match: {} },
  { id: "87903", parent: "87900", level: 3, description: "Container $(docker.Actor.Attributes.name) started", groups: ["docker"], match: { "docker.Type": "container", "docker.Action": "start" } },
  { id: "87904", parent: "87900", level: 3, description: "Container $(docker.Actor.Attributes.name) stopped", groups: ["docker"], match: { "docker.Type": "container", "docker.Action": "stop" } },
  { id: "87905", parent: "87900", level: 3, description: "Container $(docker.Actor.Attributes.name) paused", groups: ["docker"], match: { "docker.Type": "container", "docker.Action": "pause" } },
  { id: "87906", parent: "87900", level: 3, description: "Container $(docker.Actor.Attributes.name) unpaused", groups: ["docker"], match: { "docker.Type": "container", "docker.Action": "unpause" } },
];

/** Content hash of a ruleset, carried in every alert as dockwatch.ruleset. */
export function rulesetHash(rules: Rule[]): string {
  return createHash("sha256").update(JSON.stringify(rules)).digest("hex").slice(0, 16);
}

/** The value of a dotted path (`docker.Actor.Attributes.name`) in the decoded event. */
export function fieldValue(event: DecodedEvent, path: string): string | undefined {
  let cur: unknown = event;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === null || cur === undefined) return undefined;
  return typeof cur === "object" ? JSON.stringify(cur) : String(cur);
}

/** `$(field)` interpolation, as in Wazuh rule descriptions. */
export function interpolate(template: string, event: DecodedEvent): string {
  return template.replace(/\$\(([\w.@-]+)\)/g, (_, path: string) => fieldValue(event, path) ?? "");
}

const matches = (rule: Rule, event: DecodedEvent) =>
  Object.entries(rule.match).every(([path, expected]) => fieldValue(event, path) === expected);

/**
 * Walks the rule tree from the roots: a rule is tried only when its parent
 * matched, and the deepest match wins (Wazuh's "most specific rule").
 */
export function matchRules(event: DecodedEvent, rules: Rule[]): Rule | undefined {
  const children = (parent: string | undefined) => rules.filter((r) => r.parent === parent);
  let best: Rule | undefined;
  let frontier = children(undefined);
  while (frontier.length > 0) {
    const hit = frontier.find((r) => matches(r, event));
    if (!hit) break;
    best = hit;
    frontier = children(hit.id);
  }
  return best;
}

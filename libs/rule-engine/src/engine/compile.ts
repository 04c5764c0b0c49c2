import { createHash } from "node:crypto";
import type { DecodedEvent } from "@dockwatch/contracts";
import { RulesetError, type RuleFileProblem } from "./errors.js";
import { fieldValues } from "./fields.js";
import type { RuleFile, RuleIdSpec } from "./files.js";
import { compileMatcher, compileRegex, type Predicate } from "./matchers.js";
import { MITRE_TECHNIQUES } from "../mitre.js";

export interface Condition {
  path: string;
  parts: string[];
  holds: Predicate;
}

/** Correlation settings of a frequency rule. */
export interface Frequency {
  frequency: number;
  timeframeMs: number;
  sameFields: string[];
}

export interface CompiledRule {
  id: string;
  level: number;
  description: string;
  groups: string[];
  parents: string[];
  conditions: Condition[];
  compliance: { pci_dss: string[]; gdpr: string[]; hipaa: string[]; nist_800_53: string[]; tsc: string[] };
  mitre: string[];
  /** An independent detection: alerts on its own beside the chain's alert when a parent is in the chain. */
  detection: boolean;
  /** A catch-all child: tried after all its siblings. */
  fallback: boolean;
  noFullLog: boolean;
  mail: boolean;
  /** Present on correlation rules, which add their own alert beside the chain's. */
  frequency?: Frequency;
  /** Events for which an exception silences this rule. */
  silencedFor: ((event: DecodedEvent) => boolean)[];
  source: { file: string; line: number };
  /** Load order (shipped files by name, then local files by name, then position). */
  order: number;
}

export interface Ruleset {
  rules: Map<string, CompiledRule>;
  /** Rules without a parent, in trial order. */
  roots: CompiledRule[];
  /** Children of each rule in trial order: higher level first, then load order. */
  children: Map<string, CompiledRule[]>;
  /** Frequency rules by the parent whose match makes them count an event. */
  correlations: Map<string, CompiledRule[]>;
  /** Detection rules by the parent whose match makes them evaluated, in load order. */
  detections: Map<string, CompiledRule[]>;
  /** Content hash of the files (names and text), carried in alerts as dockwatch.ruleset. */
  hash: string;
  files: string[];
}

const ids = (spec: RuleIdSpec | RuleIdSpec[] | undefined) => (spec === undefined ? [] : Array.isArray(spec) ? spec : [spec]).map(String);

/**
 * Sibling order, as Wazuh's analysisd ranks rules: level 0 first (Wazuh ranks
 * it 99, above 15: a level-0 rule groups or silences before any alerting
 * sibling is tried), then the most severe, ties in load order; catch-all
 * (fallback) rules after all others.
 */
const rank = (r: CompiledRule) => (r.level === 0 ? 99 : r.level);
export const trialOrder = (a: CompiledRule, b: CompiledRule) =>
  Number(a.fallback) - Number(b.fallback) || rank(b) - rank(a) || a.order - b.order;

/**
 * Builds the rule tree from parsed files (shipped first, then local): rules,
 * then overrides by id, then exceptions. Throws RulesetError listing every
 * problem with its file:line.
 */
export function compileRuleset(files: RuleFile[]): Ruleset {
  const problems: RuleFileProblem[] = [];
  const rules = new Map<string, CompiledRule>();
  let order = 0;

  for (const file of files) {
    const problem = (path: (string | number)[], message: string) => problems.push({ file: file.path, line: file.lineOf(path), message });
    (file.content.rules ?? []).forEach((spec, i) => {
      const at = ["rules", i];
      const id = String(spec.id);
      const existing = rules.get(id);
      if (existing) {
        problem([...at, "id"], `rule ${id} is already defined at ${existing.source.file}:${existing.source.line} (change a shipped rule with "overrides")`);
        return;
      }
      const conditions = Object.entries(spec.fields ?? {}).map(([path, matcher]) => ({
        path,
        parts: path.split("."),
        holds: compileMatcher(matcher, (sub, message) => problem([...at, "fields", path, ...sub], message)),
      }));
      const rule: CompiledRule = {
        id,
        level: spec.level,
        description: spec.description,
        groups: spec.groups ?? [],
        parents: ids(spec.if_sid),
        conditions,
        compliance: {
          pci_dss: spec.compliance?.pci_dss ?? [],
          gdpr: spec.compliance?.gdpr ?? [],
          hipaa: spec.compliance?.hipaa ?? [],
          nist_800_53: spec.compliance?.nist_800_53 ?? [],
          tsc: spec.compliance?.tsc ?? [],
        },
        mitre: spec.mitre ?? [],
        detection: spec.detection ?? false,
        fallback: spec.fallback ?? false,
        noFullLog: spec.options?.includes("no_full_log") ?? false,
        mail: spec.options?.includes("mail") ?? false,
        silencedFor: [],
        source: { file: file.path, line: file.lineOf(at) },
        order: order++,
      };
      (spec.mitre ?? []).forEach((t, j) => {
        if (!MITRE_TECHNIQUES[t]) problem([...at, "mitre", j], `MITRE technique ${t} is not in the engine's table (src/mitre.ts)`);
      });
      if (spec.detection && spec.frequency !== undefined) problem([...at, "detection"], `rule ${id}: a detection cannot be a frequency rule`);
      if (spec.detection && spec.fallback) problem([...at, "detection"], `rule ${id}: a detection cannot be a fallback`);
      if ((spec.detection || spec.fallback) && spec.if_sid === undefined) problem([...at, "if_sid"], `rule ${id}: a detection or fallback needs a parent (if_sid)`);
      if (spec.frequency !== undefined) {
        rule.frequency = { frequency: spec.frequency, timeframeMs: (spec.timeframe ?? 0) * 1000, sameFields: spec.same_field ?? [] };
      }
      rules.set(id, rule);
    });
  }

  for (const file of files) {
    const problem = (path: (string | number)[], message: string) => problems.push({ file: file.path, line: file.lineOf(path), message });
    (file.content.overrides ?? []).forEach((o, i) => {
      const rule = rules.get(String(o.id));
      if (!rule) return problem(["overrides", i, "id"], `override of unknown rule ${String(o.id)}`);
      if (o.disabled) rules.delete(rule.id);
      if (o.level !== undefined) rule.level = o.level;
      if (o.description !== undefined) rule.description = o.description;
      if (o.groups !== undefined) rule.groups = o.groups;
    });
  }

  for (const file of files) {
    const problem = (path: (string | number)[], message: string) => problems.push({ file: file.path, line: file.lineOf(path), message });
    (file.content.exceptions ?? []).forEach((x, i) => {
      const at = ["exceptions", i];
      const applies = compileException(x, (sub, message) => problem([...at, ...sub], message));
      x.rules.forEach((id, j) => {
        const rule = rules.get(String(id));
        if (rule) rule.silencedFor.push(applies);
        // A rule disabled by an override needs no exception; only unknown ids are errors.
        else if (!files.some((f) => f.content.overrides?.some((o) => String(o.id) === String(id) && o.disabled)))
          problem([...at, "rules", j], `exception for unknown rule ${String(id)}`);
      });
    });
  }

  // Parents must exist; a rule below a disabled rule is disabled with it.
  const parentProblems = (rule: CompiledRule) => {
    for (const parent of rule.parents) {
      const disabledParent = files.some((f) => f.content.overrides?.some((o) => String(o.id) === parent && o.disabled));
      if (!rules.has(parent) && !disabledParent) {
        problems.push({ ...rule.source, message: `rule ${rule.id}: if_sid ${parent} is not a rule` });
      }
    }
  };
  for (const rule of rules.values()) parentProblems(rule);
  let changed = true;
  while (changed) {
    changed = false;
    for (const rule of rules.values()) {
      if (rule.parents.length > 0 && rule.parents.every((p) => !rules.has(p))) {
        rules.delete(rule.id);
        changed = true;
      }
    }
  }
  for (const rule of rules.values()) {
    rule.parents = rule.parents.filter((p) => rules.has(p));
    if (reachesItself(rule, rules)) problems.push({ ...rule.source, message: `rule ${rule.id}: if_sid forms a cycle` });
  }

  if (problems.length > 0) throw new RulesetError(problems);

  const roots: CompiledRule[] = [];
  const children = new Map<string, CompiledRule[]>();
  const correlations = new Map<string, CompiledRule[]>();
  const detections = new Map<string, CompiledRule[]>();
  for (const rule of rules.values()) {
    if (rule.parents.length === 0) {
      roots.push(rule);
      continue;
    }
    for (const parent of rule.parents) {
      const p = rules.get(parent);
      if (p?.detection) problems.push({ ...rule.source, message: `rule ${rule.id}: if_sid ${parent} is a detection, which cannot be a parent` });
    }
    const index = rule.frequency ? correlations : rule.detection ? detections : children;
    for (const parent of rule.parents) index.set(parent, [...(index.get(parent) ?? []), rule]);
  }
  roots.sort(trialOrder);
  for (const list of children.values()) list.sort(trialOrder);
  if (problems.length > 0) throw new RulesetError(problems);

  const hash = createHash("sha256");
  for (const f of files) hash.update(`${f.path.split("/").pop()}\u0000${f.text}\u0000`);
  return { rules, roots, children, correlations, detections, hash: hash.digest("hex").slice(0, 16), files: files.map((f) => f.path) };
}

function reachesItself(start: CompiledRule, rules: Map<string, CompiledRule>): boolean {
  const seen = new Set<string>();
  const stack = [...start.parents];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === start.id) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(rules.get(id)?.parents ?? []));
  }
  return false;
}

/** An exception's criteria (all given ones must hold) as one predicate on the event. */
function compileException(
  x: { images?: string[]; labels?: Record<string, import("./matchers.js").MatcherSpec>; agents?: string[] },
  report: (path: (string | number)[], message: string) => void,
): (event: DecodedEvent) => boolean {
  const checks: ((event: DecodedEvent) => boolean)[] = [];
  if (x.images) {
    const patterns = x.images.flatMap((p, i) => {
      try {
        return [compileRegex(p)];
      } catch (err) {
        report(["images", i], `pattern ${JSON.stringify(p)} is not supported by RE2: ${(err as Error).message}`);
        return [];
      }
    });
    checks.push((event) => {
      const images = [...fieldValues(event, "docker.Actor.Attributes.image"), ...fieldValues(event, "inspect.image")];
      return images.some((image) => patterns.some((re) => re.test(image)));
    });
  }
  if (x.labels) {
    const labels = Object.entries(x.labels).map(([label, spec]) => ({
      label,
      holds: compileMatcher(spec, (sub, message) => report(["labels", label, ...sub], message)),
    }));
    checks.push((event) => labels.every(({ label, holds }) => holds(event.docker.Actor.Attributes[label] === undefined ? [] : [event.docker.Actor.Attributes[label]!])));
  }
  if (x.agents) {
    const agents = new Set(x.agents);
    checks.push((event) => agents.has(event.agent.name) || agents.has(event.agent.id));
  }
  return (event) => checks.every((check) => check(event));
}

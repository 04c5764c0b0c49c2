import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RulesetError, SHIPPED_RULES_DIR, formatProblem, interpolate, loadRuleset, matchEvent, parseRuleFile } from "../src/index.js";
import { decodedEvent } from "../src/testing.js";

/** A directory holding the given rule files. */
function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), "dockwatch-rules-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof RulesetError) return err.problems.map(formatProblem);
    throw err;
  }
  assert.fail("expected a RulesetError");
}

const ROOT = `rules:
  - id: 1
    level: 0
    description: root
    fields: { docker.Type: container }
`;

describe("rule files: schema and file:line errors", () => {
  it("reports schema errors at the offending line", () => {
    const d = dir({
      "a.yml": `${ROOT}  - id: 2
    level: 16
    if_sid: 1
    description: too loud
  - id: 3
    level: 3
    if_sid: 1
    descripton: typo
    description: ok
`,
    });
    const problems = problemsOf(() => loadRuleset({ shippedDir: d }));
    assert.deepEqual(problems, [`${d}/a.yml:7: rules.1.level: must be <= 15`, `${d}/a.yml:13: rules.2: unknown key "descripton"`]);
  });

  it("reports YAML syntax errors with their line", () => {
    const { problems } = parseRuleFile("bad.yml", "rules:\n  - id: 1\n    level: [1\n");
    assert.equal(problems.length > 0, true);
    assert.match(formatProblem(problems[0]!), /^bad\.yml:\d+: YAML: /);
  });

  it("rejects patterns RE2 cannot run (backreference, lookahead, lookbehind) at their line", () => {
    const d = dir({
      "r.yml": `${ROOT}  - id: 2
    level: 3
    if_sid: 1
    description: backreference
    fields:
      docker.Action: { regex: '(a)\\1' }
  - id: 3
    level: 3
    if_sid: 1
    description: lookahead
    fields:
      docker.Action:
        not:
          regex: 'start(?=x)'
  - id: 4
    level: 3
    if_sid: 1
    description: lookbehind
    fields: { docker.Action: { regex: '(?<!x)start' } }
`,
    });
    const problems = problemsOf(() => loadRuleset({ shippedDir: d }));
    assert.equal(problems.length, 3);
    assert.match(problems[0]!, new RegExp(`^${d}/r\\.yml:11: pattern .* is not supported by RE2: invalid escape sequence: \\\\1`));
    assert.match(problems[1]!, new RegExp(`^${d}/r\\.yml:19: pattern .*invalid perl operator: \\(\\?=`));
    assert.match(problems[2]!, new RegExp(`^${d}/r\\.yml:24: pattern .*invalid perl operator: \\(\\?<!`));
  });

  it("reports duplicate ids, unknown parents and cycles", () => {
    const d = dir({
      "a.yml": `${ROOT}  - id: 1
    level: 3
    description: again
  - id: 5
    level: 3
    if_sid: 99
    description: orphan
  - id: 6
    level: 3
    if_sid: 7
    description: cycle a
  - id: 7
    level: 3
    if_sid: 6
    description: cycle b
`,
    });
    const problems = problemsOf(() => loadRuleset({ shippedDir: d }));
    assert.ok(problems.some((p) => p.startsWith(`${d}/a.yml:6: rule 1 is already defined at ${d}/a.yml:2`)), problems.join("\n"));
    assert.ok(problems.some((p) => p === `${d}/a.yml:9: rule 5: if_sid 99 is not a rule`), problems.join("\n"));
    assert.ok(problems.some((p) => p === `${d}/a.yml:13: rule 6: if_sid forms a cycle`), problems.join("\n"));
  });

  it("the shipped ruleset is valid and validated against the published schema", () => {
    const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });
    assert.ok(ruleset.rules.size > 60);
    assert.match(ruleset.hash, /^[0-9a-f]{16}$/);
  });
});

describe("matching", () => {
  const rules = dir({
    "a.yml": `${ROOT}  - id: 10
    level: 3
    if_sid: 1
    description: started $(docker.Actor.Attributes.name)
    fields: { docker.Action: start }
  - id: 11
    level: 5
    if_sid: 10
    description: first of two level-5 siblings
    fields: { inspect.networkMode: host }
  - id: 12
    level: 5
    if_sid: 10
    description: second of two level-5 siblings
    fields: { inspect.pidMode: host }
  - id: 13
    level: 9
    if_sid: 10
    description: most severe sibling
    fields:
      inspect.capAdd: { any_of: [SYS_ADMIN, ALL] }
  - id: 14
    level: 4
    if_sid: 10
    description: numeric and negation
    fields:
      docker.Actor.Attributes.exitCode: { gte: 2, lt: 10, not: { exact: 3 } }
  - id: 15
    level: 4
    if_sid: [10, 16]
    description: missing field
    fields:
      docker.Actor.Attributes.team: { exists: false }
      inspect.user: { regex: '(?i)^ADMIN$' }
  - id: 16
    level: 3
    if_sid: 1
    description: stopped
    fields: { docker.Action: stop }
`,
  });
  const ruleset = loadRuleset({ shippedDir: rules });
  const start = (inspect = {}, attributes: Record<string, string> = { name: "web" }) =>
    decodedEvent({ type: "container", action: "start", attributes, inspect });
  const winner = (e: ReturnType<typeof start>) => matchEvent(e, ruleset).rule?.id;

  it("the deepest match wins; a plain event stays on its parent", () => {
    assert.equal(winner(start()), "10");
    assert.deepEqual(matchEvent(start({ networkMode: "host" }), ruleset).chain.map((r) => r.id), ["1", "10", "11"]);
  });

  it("siblings: higher level first, then file order", () => {
    assert.equal(winner(start({ networkMode: "host", pidMode: "host", capAdd: ["ALL"] })), "13");
    assert.equal(winner(start({ networkMode: "host", pidMode: "host" })), "11");
    assert.equal(winner(start({ pidMode: "host" })), "12");
  });

  it("numeric comparison and negation", () => {
    assert.equal(winner(start({}, { exitCode: "2" })), "14");
    assert.equal(winner(start({}, { exitCode: "3" })), "10");
    assert.equal(winner(start({}, { exitCode: "10" })), "10");
    assert.equal(winner(start({}, { exitCode: "x" })), "10");
  });

  it("exists: false holds for a missing field; a list of parents", () => {
    assert.equal(winner(start({ user: "admin" })), "15");
    assert.equal(winner(start({ user: "admin" }, { team: "ops" })), "10");
    assert.equal(winner(decodedEvent({ type: "container", action: "stop", inspect: { user: "Admin" } })), "15");
  });

  it("the trace lists every rule tried with the condition that failed", () => {
    const trials = matchEvent(start({ pidMode: "host" }), ruleset, true).trials.map((t) => `${t.rule.id}:${t.matched ? "ok" : t.failed}`);
    assert.deepEqual(trials, ["1:ok", "10:ok", "13:inspect.capAdd", "11:inspect.networkMode", "12:ok"]);
  });

  it("interpolates $(field), lists comma-separated, missing as empty", () => {
    const e = start({ capAdd: ["A", "B"] });
    assert.equal(interpolate("$(docker.Actor.Attributes.name) caps $(inspect.capAdd) [$(nope.x)]", e), "web caps A, B []");
  });
});

describe("local rules over the shipped ruleset", () => {
  const plain = (action: string, attributes: Record<string, string> = { name: "web", image: "dockwatch/busybox:1.35.0" }, inspect = {}) =>
    decodedEvent({ type: "container", action, attributes, inspect });

  it("adds rules, overrides level/description/groups, disables a rule", () => {
    const local = dir({
      "local.yml": `rules:
  - id: 100100
    level: 12
    if_sid: 87903
    description: Container $(docker.Actor.Attributes.name) of team payments started
    groups: [local]
    fields: { docker.Actor.Attributes.team: payments }
overrides:
  - id: 87904
    level: 6
    description: Stopped $(docker.Actor.Attributes.name)
    groups: [docker, ops]
  - id: 87907
    disabled: true
`,
    });
    const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR, localDir: local });
    assert.equal(matchEvent(plain("start", { name: "pay", team: "payments" }), ruleset).rule?.id, "100100");
    const stop = matchEvent(plain("stop"), ruleset).rule!;
    assert.deepEqual([stop.id, stop.level, interpolate(stop.description, plain("stop")), stop.groups], ["87904", 6, "Stopped web", ["docker", "ops"]]);
    // 87907 and its children (the shell rules) are gone: an exec is an event no rule knows.
    assert.equal(matchEvent(plain("exec_start: sh"), ruleset).rule?.id, "130999");
    assert.notEqual(loadRuleset({ shippedDir: SHIPPED_RULES_DIR }).hash, ruleset.hash);
  });

  it("an exception silences a rule for matching images, labels or agents; its parent alerts instead", () => {
    const local = dir({
      "exceptions.yml": `exceptions:
  - name: CI runners are privileged by design
    rules: [130960]
    images: ['^ci/runner:']
    labels: { com.example.role: { regex: '^ci' } }
  - rules: [87903]
    agents: [build-01]
`,
    });
    const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR, localDir: local });
    const privileged = (image: string, role?: string) =>
      plain("start", { name: "r", image, ...(role ? { "com.example.role": role } : {}) }, { privileged: true });
    const ids = (e: ReturnType<typeof privileged>) => {
      const m = matchEvent(e, ruleset);
      return [m.rule?.id, ...m.detections.map((r) => r.id)];
    };
    assert.deepEqual(ids(privileged("ci/runner:3", "ci-linux")), ["87903"]);
    assert.deepEqual(ids(privileged("ci/runner:3")), ["87903", "130960"], "all criteria must hold");
    assert.deepEqual(ids(privileged("app:3", "ci-linux")), ["87903", "130960"]);
    // 87903 silenced: the walk ends on its parent, a level-0 group, and the
    // catch-all stays quiet (the event is known, an exception silenced it).
    const onBuild = decodedEvent({ type: "container", action: "start", attributes: { name: "x" }, agent: { name: "build-01" } });
    assert.equal(matchEvent(onBuild, ruleset).rule?.id, "87900");
  });

  it("local files may not redefine a shipped id, and overrides name existing rules", () => {
    const local = dir({
      "bad.yml": `rules:
  - id: 87903
    level: 3
    description: mine
overrides:
  - id: 123456
    level: 3
exceptions:
  - rules: [654321]
    agents: [a]
`,
    });
    const problems = problemsOf(() => loadRuleset({ shippedDir: SHIPPED_RULES_DIR, localDir: local }));
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.match(problems[0]!, new RegExp(`^${local}/bad\\.yml:2: rule 87903 is already defined at .*0100-wazuh-docker\\.yml:\\d+`));
    assert.equal(problems[1], `${local}/bad.yml:6: override of unknown rule 123456`);
    assert.equal(problems[2], `${local}/bad.yml:9: exception for unknown rule 654321`);
  });
});

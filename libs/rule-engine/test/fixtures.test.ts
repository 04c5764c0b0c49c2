import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { classify } from "@dockwatch/errors";
import { parse } from "yaml";
import { SHIPPED_RULES_DIR, loadRuleset, matchEvent } from "../src/index.js";
import { decodedEvent, type EventSketch } from "../src/testing.js";

interface Case {
  rule: string;
  positive: EventSketch;
  negative: EventSketch;
}

const { cases } = parse(readFileSync(new URL("fixtures/docker-rules.yml", import.meta.url), "utf8")) as { cases: Case[] };
const ruleset = loadRuleset({ shippedDir: SHIPPED_RULES_DIR });

/**
 * The rule ids an event reaches: the chain's winner and the detections it
 * triggers; for a level-0 rule (a group), every rule of its chain; for a
 * frequency rule, the frequency rules it counts for. An event the collector's
 * parser or the decoder refuses (a record error: it is dead-lettered) reaches none.
 */
function reached(sketch: EventSketch, frequencyRule: boolean, groupRule: boolean): string[] {
  let event;
  try {
    event = decodedEvent(sketch);
  } catch (err) {
    if (classify(err) === "record") return [];
    throw err;
  }
  const match = matchEvent(event, ruleset);
  if (frequencyRule) return match.correlations.map((r) => r.id);
  if (groupRule) return match.chain.map((r) => r.id);
  return [...(match.rule ? [match.rule.id] : []), ...match.detections.map((r) => r.id)];
}

describe("every shipped rule has a positive and a negative fixture", () => {
  it("the fixtures cover every rule of the shipped ruleset, once", () => {
    assert.deepEqual(cases.map((c) => c.rule).sort(), [...ruleset.rules.keys()].sort());
  });

  for (const c of cases) {
    const rule = ruleset.rules.get(c.rule);
    const frequencyRule = rule?.frequency !== undefined;
    const groupRule = rule?.level === 0;
    it(`${c.rule} ${rule?.description ?? "(missing)"}`, () => {
      assert.ok(rule, `rule ${c.rule} is in the ruleset`);
      assert.ok(reached(c.positive, frequencyRule, groupRule).includes(c.rule), `positive ${JSON.stringify(c.positive)} reaches ${c.rule}`);
      assert.ok(!reached(c.negative, frequencyRule, groupRule).includes(c.rule), `negative ${JSON.stringify(c.negative)} does not reach ${c.rule}`);
    });
  }
});

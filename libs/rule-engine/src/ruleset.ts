import { fileURLToPath } from "node:url";
import { compileRuleset, type Ruleset } from "./engine/compile.js";
import { RulesetError } from "./engine/errors.js";
import { readRuleFiles } from "./engine/files.js";

export { fieldValue, fieldValues, interpolate } from "./engine/fields.js";
export { compileRuleset, trialOrder, type CompiledRule, type Frequency, type Ruleset } from "./engine/compile.js";
export { RulesetError, formatProblem, type RuleFileProblem } from "./engine/errors.js";
export { parseRuleFile, readRuleFiles, ruleFilesIn, RULESET_SCHEMA } from "./engine/files.js";
export { matchEvent, type MatchResult, type Trial } from "./engine/match.js";

/** The shipped Docker ruleset (libs/rule-engine/ruleset/*.yml); users never edit it. */
export const SHIPPED_RULES_DIR = fileURLToPath(new URL("../ruleset", import.meta.url));

export interface RulesetSources {
  shippedDir: string;
  /** RULES_LOCAL_DIR: the user's rules, overrides and exceptions, layered over the shipped ones. */
  localDir?: string;
}

/** Loads and compiles shipped + local rule files; throws RulesetError with every file:line problem. */
export function loadRuleset(sources: RulesetSources): Ruleset {
  const dirs = [sources.shippedDir, ...(sources.localDir ? [sources.localDir] : [])];
  const { files, problems } = readRuleFiles(dirs);
  if (problems.length > 0) {
    // Report semantic problems of the valid files too, so one run lists everything.
    try {
      compileRuleset(files);
    } catch (err) {
      if (err instanceof RulesetError) throw new RulesetError([...problems, ...err.problems]);
      throw err;
    }
    throw new RulesetError(problems);
  }
  return compileRuleset(files);
}

/** One problem in a rule file, at a line (1-based). */
export interface RuleFileProblem {
  file: string;
  line: number;
  message: string;
}

export const formatProblem = (p: RuleFileProblem) => `${p.file}:${p.line}: ${p.message}`;

/** A ruleset that cannot be loaded; `problems` lists every error with its file:line. */
export class RulesetError extends Error {
  override name = "RulesetError";
  constructor(readonly problems: RuleFileProblem[]) {
    super(`invalid ruleset (${problems.length} error${problems.length === 1 ? "" : "s"}):\n${problems.map(formatProblem).join("\n")}`);
  }
}

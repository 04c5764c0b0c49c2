import RE2 from "re2";

/** A field matcher as written in a rule file (see ruleset.schema.json). */
export type Scalar = string | number | boolean;
export type MatcherSpec =
  | Scalar
  | {
      exact?: Scalar;
      regex?: string;
      any_of?: Scalar[];
      gt?: number;
      gte?: number;
      lt?: number;
      lte?: number;
      exists?: boolean;
      not?: MatcherSpec;
    };

/** A compiled matcher: holds or not for the values found at a field's path. */
export type Predicate = (values: string[]) => boolean;

/** Reports a problem at a path below the matcher (["regex"], ["not", "regex"]). */
export type Report = (path: (string | number)[], message: string) => void;

/**
 * Compiles a pattern with RE2, which runs in time linear in the input: a
 * hostile or careless rule cannot stall the pipeline. RE2 has no
 * backreferences or lookaround; such patterns are load errors.
 */
export function compileRegex(pattern: string): RE2 {
  return new RE2(pattern, "u");
}

const numeric = (v: string) => (v.trim() === "" ? Number.NaN : Number(v));

/** Compiles a matcher; problems go to `report` and the matcher never holds. */
export function compileMatcher(spec: MatcherSpec, report: Report, at: (string | number)[] = []): Predicate {
  if (typeof spec !== "object") {
    const expected = String(spec);
    return (values) => values.includes(expected);
  }
  const checks: Predicate[] = [];
  if (spec.exact !== undefined) checks.push(compileMatcher(spec.exact, report, [...at, "exact"]));
  if (spec.regex !== undefined) {
    try {
      const re = compileRegex(spec.regex);
      checks.push((values) => values.some((v) => re.test(v)));
    } catch (err) {
      report([...at, "regex"], `pattern ${JSON.stringify(spec.regex)} is not supported by RE2: ${(err as Error).message}`);
      checks.push(() => false);
    }
  }
  if (spec.any_of !== undefined) {
    const set = new Set(spec.any_of.map(String));
    checks.push((values) => values.some((v) => set.has(v)));
  }
  const compare = (bound: number | undefined, ok: (n: number, b: number) => boolean) => {
    if (bound !== undefined) checks.push((values) => values.some((v) => ok(numeric(v), bound)));
  };
  compare(spec.gt, (n, b) => n > b);
  compare(spec.gte, (n, b) => n >= b);
  compare(spec.lt, (n, b) => n < b);
  compare(spec.lte, (n, b) => n <= b);
  if (spec.exists !== undefined) {
    const want = spec.exists;
    checks.push((values) => values.length > 0 === want);
  }
  if (spec.not !== undefined) {
    const inner = compileMatcher(spec.not, report, [...at, "not"]);
    checks.push((values) => !inner(values));
  }
  if (checks.length === 1) return checks[0]!;
  return (values) => checks.every((check) => check(values));
}

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { LineCounter, isMap, isNode, isPair, isScalar, parseDocument, type Document } from "yaml";
import type { RuleFileProblem } from "./errors.js";
import type { MatcherSpec } from "./matchers.js";

export type RuleIdSpec = string | number;

/** A rule as written (ruleset.schema.json#/definitions/rule). */
export interface RuleSpec {
  id: RuleIdSpec;
  level: number;
  description: string;
  groups?: string[];
  if_sid?: RuleIdSpec | RuleIdSpec[];
  fields?: Record<string, MatcherSpec>;
  compliance?: { pci_dss?: string[]; gdpr?: string[]; hipaa?: string[]; nist_800_53?: string[]; tsc?: string[] };
  mitre?: string[];
  options?: ("no_full_log" | "mail")[];
  detection?: boolean;
  fallback?: boolean;
  frequency?: number;
  timeframe?: number;
  same_field?: string[];
}

export interface OverrideSpec {
  id: RuleIdSpec;
  level?: number;
  description?: string;
  groups?: string[];
  disabled?: boolean;
}

export interface ExceptionSpec {
  name?: string;
  rules: RuleIdSpec[];
  images?: string[];
  labels?: Record<string, MatcherSpec>;
  agents?: string[];
}

interface RuleFileContent {
  rules?: RuleSpec[];
  overrides?: OverrideSpec[];
  exceptions?: ExceptionSpec[];
}

/** A parsed, schema-valid rule file; `lineOf` locates any path in it. */
export interface RuleFile {
  path: string;
  text: string;
  content: RuleFileContent;
  lineOf(path: (string | number)[]): number;
}

const schema = JSON.parse(readFileSync(new URL("../../ruleset.schema.json", import.meta.url), "utf8")) as object;
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true }).compile<RuleFileContent>(schema);

/** The schema every rule file is validated against (published as ruleset.schema.json). */
export const RULESET_SCHEMA = schema;

/** *.yml and *.yaml files of a directory in name order (the load order); none if it does not exist. */
export function ruleFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** The line of the node at `path`, or of its nearest existing ancestor. */
function locator(doc: Document, counter: LineCounter) {
  return (path: (string | number)[]): number => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
      if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
    }
    return 1;
  };
}

/** The line of a key of the map at `path` (for "unknown key" errors). */
function keyLine(doc: Document, counter: LineCounter, path: (string | number)[], key: string): number | undefined {
  const map = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key);
  const node = pair && isScalar(pair.key) ? pair.key : undefined;
  return node?.range ? counter.linePos(node.range[0]).line : undefined;
}

const pathOf = (pointer: string): (string | number)[] =>
  pointer
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function describe(err: ErrorObject): string {
  const where = err.instancePath ? err.instancePath.slice(1).replace(/\//g, ".") : "file";
  if (err.keyword === "additionalProperties") return `${where}: unknown key "${String(err.params.additionalProperty)}"`;
  if (err.keyword === "enum") return `${where}: must be one of ${(err.params.allowedValues as unknown[]).join(", ")}`;
  return `${where}: ${err.message ?? err.keyword}`;
}

/**
 * Schema errors, most specific first: a failed oneOf/anyOf is reported only
 * when no error was found below it (its branches' errors say more).
 */
function schemaProblems(file: string, errors: ErrorObject[], doc: Document, counter: LineCounter): RuleFileProblem[] {
  const lineOf = locator(doc, counter);
  const seen = new Set<string>();
  const out: RuleFileProblem[] = [];
  const combinators = new Set(["oneOf", "anyOf"]);
  const hasDeeper = (e: ErrorObject) => errors.some((o) => !combinators.has(o.keyword) && o.instancePath.startsWith(e.instancePath) && o !== e);
  const scalarBranch = (e: ErrorObject) =>
    // "must be string,number,boolean" next to the object branch's errors is noise.
    e.keyword === "type" && errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== "type" && !combinators.has(o.keyword));
  for (const e of errors) {
    if (combinators.has(e.keyword) && hasDeeper(e)) continue;
    if (scalarBranch(e)) continue;
    const path = pathOf(e.instancePath);
    const line =
      e.keyword === "additionalProperties"
        ? (keyLine(doc, counter, path, String(e.params.additionalProperty)) ?? lineOf(path))
        : lineOf(path);
    const message = describe(e);
    const key = `${line}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file, line, message });
  }
  return out;
}

/** Parses and validates one rule file's text; problems carry file:line. */
export function parseRuleFile(path: string, text: string): { file?: RuleFile; problems: RuleFileProblem[] } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        file: path,
        line: e.linePos?.[0].line ?? 1,
        message: `YAML: ${e.message.split("\n")[0]}`,
      })),
    };
  }
  const content = (doc.toJS() ?? {}) as unknown;
  if (!validate(content)) {
    return { problems: schemaProblems(path, validate.errors ?? [], doc, counter) };
  }
  return { file: { path, text, content, lineOf: locator(doc, counter) }, problems: [] };
}

/** Reads and parses every rule file of the given directories, in order. */
export function readRuleFiles(dirs: string[]): { files: RuleFile[]; problems: RuleFileProblem[] } {
  const files: RuleFile[] = [];
  const problems: RuleFileProblem[] = [];
  for (const dir of dirs) {
    for (const path of ruleFilesIn(dir)) {
      const parsed = parseRuleFile(path, readFileSync(path, "utf8"));
      problems.push(...parsed.problems);
      if (parsed.file) files.push(parsed.file);
    }
  }
  return { files, problems };
}

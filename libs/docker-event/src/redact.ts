import { isLosslessNumber } from "lossless-json";
import { RE2JS } from "re2js";

/**
 * Masks secrets in the strings of a decoded record before it leaves the decoder
 * (the raw topic keeps the original under its own access control).
 *
 * Every pattern runs on RE2JS, a linear-time engine without backtracking: a
 * user pattern such as `(a+)+$` cannot hang the decoder on a crafted command
 * line, and the defaults get the same guarantee. RE2 syntax, so no
 * backreferences or lookaround. A pattern with a group named `secret` masks
 * only that group (`--password=(?<secret>\S+)` keeps `--password=`); without
 * one the whole match is masked.
 */

export const MASK = "[REDACTED]";

/** Words that make a name (flag, variable, label key, header) a secret's name. */
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|[_.-]pwd|[_.-]pass)`;
const SECRET_NAME = String.raw`[\w.-]*${SECRET_WORD}[\w.-]*`;
/** A value on a command line: quoted as a whole, or up to the next blank, quote or separator. */
const VALUE = String.raw`(?<secret>"[^"]*"|'[^']*'|[^\s"'&;,]+)`;

export interface RedactionRule {
  name: string;
  pattern: string;
}

/** The default rules (documented in the README); all case-insensitive except where `-p` must not match `-P`. */
export const DEFAULT_RULES: readonly RedactionRule[] = [
  // --password=x, --password x, -token x, --db-password 'a b', --api-key=x
  { name: "flag", pattern: String.raw`(?i)(?:^|[\s"'=])--?${SECRET_NAME}(?:=|\s+)${VALUE}` },
  // PASSWORD=x, MYSQL_ROOT_PASSWORD=x, GITHUB_TOKEN=x, AWS_SECRET_ACCESS_KEY=x, API_KEY=x, ?token=x
  { name: "assignment", pattern: String.raw`(?i)(?:^|[^\w.-])${SECRET_NAME}=${VALUE}` },
  // Authorization: Bearer x, Proxy-Authorization: Basic x, Cookie: x (the scheme stays readable)
  {
    name: "authorization-header",
    pattern: String.raw`(?i)(?:proxy-)?(?:authorization|cookie)\s*:\s*(?:(?:bearer|basic|token|digest|negotiate)\s+)?(?<secret>[^\s"',;]+)`,
  },
  // X-Auth-Token: x, password: x (a blank after the colon, so image names like token-svc:1.0 stay)
  { name: "header", pattern: String.raw`(?i)(?:^|[^\w.-])${SECRET_NAME}\s*:\s+${VALUE}` },
  { name: "bearer", pattern: String.raw`(?i)\bbearer\s+(?<secret>[A-Za-z0-9._~+/=-]+)` },
  // https://user:pass@host: only the password goes
  { name: "url-credentials", pattern: String.raw`(?i)[a-z][a-z0-9+.-]*://[^\s/:@"']*:(?<secret>[^\s/@"']+)@` },
  // mysql -uroot -phunter2: the MySQL clients take the password glued to -p.
  // Only for those clients: elsewhere -p is a port (-p 8080) or a publish flag.
  {
    name: "mysql-p",
    pattern: String.raw`(?:^|[\s/"'])(?i:mysql\w*|mariadb[\w-]*)\s(?:[^\n;|&]*\s)?-p(?<secret>[^\s"';|&]+)`,
  },
];

/**
 * A cheap native pre-check: the default rules can only match a string that
 * contains one of these. A plain alternation of literals, so no backtracking.
 */
const DEFAULT_HINT = /pass|pwd|secret|token|api.?key|access.?key|private.?key|credential|authoriz|cookie|bearer|:\/\/|mysql|mariadb/i;

/**
 * A map key that names a secret: its whole value is masked (labels such as
 * com.example.db.password). SECRET_WORD is a plain alternation without nested
 * quantifiers, so the native engine runs it in linear time.
 */
const SECRET_KEY = new RegExp(SECRET_WORD, "i");

/** Strings repeat (image names, ids, labels): remember this many redactions. */
const MEMO_SIZE = 10_000;

export class RedactionPatternError extends Error {
  override name = "RedactionPatternError";
}

interface CompiledRule {
  name: string;
  re: RE2JS;
  hasSecretGroup: boolean;
}

function compileRule(rule: RedactionRule): CompiledRule {
  let re: RE2JS;
  try {
    re = RE2JS.compile(rule.pattern);
  } catch (err) {
    throw new RedactionPatternError(`${rule.name}: ${(err as Error).message}`);
  }
  return { name: rule.name, re, hasSecretGroup: "secret" in re.namedGroups() };
}

function applyRule({ re, hasSecretGroup }: CompiledRule, s: string): string {
  if (!re.test(s)) return s;
  const m = re.matcher(s);
  let out = "";
  let pos = 0;
  while (m.find()) {
    const start = hasSecretGroup ? m.start("secret") : m.start();
    const end = hasSecretGroup ? m.end("secret") : m.end();
    // An empty or unmatched group has nothing to mask; overlapping matches cannot occur.
    if (start < 0 || end <= start || start < pos) continue;
    out += s.slice(pos, start) + MASK;
    pos = end;
  }
  return pos === 0 ? s : out + s.slice(pos);
}

export interface Redactor {
  /** Masks the secrets in one string. */
  text(s: string): string;
  /** True when a map entry under this key is a secret as a whole. */
  isSecretKey(key: string): boolean;
  /**
   * A JSON-like value with every string (keys too) redacted and secret-named
   * entries masked: the lists and records that change are copies, the rest
   * (most often the whole value) are the input's own (callers never mutate
   * what this returns, nor its input).
   */
  value<T>(v: T): T;
  /**
   * True when nothing inside `s` can be masked: no rule can match any part
   * of it and no secret word occurs in it (so no key cut from it is a secret
   * name). For the raw engine line, whose strings are its own substrings when
   * it has no escapes.
   */
  leavesAlone(s: string): boolean;
}

/**
 * Builds a redactor from the defaults plus user patterns (RE2 syntax).
 * Throws RedactionPatternError naming the first pattern that does not compile.
 */
export function createRedactor(userPatterns: readonly string[] = []): Redactor {
  const defaults = DEFAULT_RULES.map(compileRule);
  const user = userPatterns.map((pattern, i) => compileRule({ name: `pattern ${i + 1} (${JSON.stringify(pattern)})`, pattern }));

  const memo = new Map<string, string>();
  const text = (s: string): string => {
    const hinted = DEFAULT_HINT.test(s);
    // Without a hint no default rule can match: the string as it is (most are).
    if (!hinted && user.length === 0) return s;
    const known = memo.get(s);
    if (known !== undefined) return known;
    let out = s;
    if (hinted) for (const rule of defaults) out = applyRule(rule, out);
    for (const rule of user) out = applyRule(rule, out);
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(s, out);
    return out;
  };
  const isSecretKey = (key: string) => SECRET_KEY.test(key);

  // Records (plain objects and avsc's record instances) are walked; Buffers and
  // lossless numbers are values, not records, and pass through untouched.
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === "object" && !Buffer.isBuffer(v) && !isLosslessNumber(v) && !(v instanceof Date);

  // Copy on write: a list or record is copied only from its first entry that
  // changes, so the common record (nothing to mask) costs one walk and no
  // allocation. The copy is what a full copy would be: same keys in the same
  // order, assigned one by one. `__proto__` is an own key only in a lossless
  // parse's tree, and assigning it drops it, as the full copy always did.
  const value = <T>(v: T): T => {
    if (typeof v === "string") return text(v) as T;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const inner: unknown = v[i];
        const r = value(inner);
        if (out) out.push(r);
        else if (r !== inner) {
          out = v.slice(0, i);
          out.push(r);
        }
      }
      return (out ?? v) as T;
    }
    if (isRecord(v)) {
      const keys = Object.keys(v);
      let out: Record<string, unknown> | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const inner = v[k];
        const key = text(k);
        const r = typeof inner === "string" && isSecretKey(k) ? MASK : value(inner);
        if (!out && (key !== k || r !== inner || k === "__proto__")) {
          out = {};
          for (let j = 0; j < i; j++) out[keys[j]!] = v[keys[j]!];
        }
        if (out) out[key] = r;
      }
      return (out ?? v) as T;
    }
    return v;
  };
  const leavesAlone = (s: string) => user.length === 0 && !DEFAULT_HINT.test(s);

  return { text, isSecretKey, value, leavesAlone };
}

/**
 * REDACT_PATTERNS: a JSON array of RE2 patterns, e.g. `["(?i)ssn=(?<secret>\\d{9})"]`.
 * JSON because a regular expression may contain any separator character.
 */
export function parseRedactPatterns(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === "") return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new RedactionPatternError("not a JSON array of strings");
  }
  if (!Array.isArray(list) || !list.every((p) => typeof p === "string" && p.length > 0)) {
    throw new RedactionPatternError("not a JSON array of non-empty strings");
  }
  return list as string[];
}

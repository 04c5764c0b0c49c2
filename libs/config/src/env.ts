import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ConfigError, isSecretName, registerSecret } from "@dockwatch/errors";
import { z } from "zod";

export { ConfigError };

export type Env = Record<string, string | undefined>;

/**
 * One environment variable: a zod schema over the raw string (or undefined when
 * unset) and the human phrase printed when it fails.
 */
export interface Setting<T> {
  schema: z.ZodType<T, string | undefined>;
  expected: string;
  /** The value may also come from the file named by `<NAME>_FILE` (secrets; see readSettingFile). */
  file?: boolean;
}

export function setting<T>(expected: string, schema: z.ZodType<T, string | undefined>): Setting<T> {
  return { schema, expected };
}

/** Parses each variable of `settings` from `env`; the first bad one throws a ConfigError. */
export function parseEnv<S extends Record<string, Setting<unknown>>>(
  settings: S,
  env: Env,
): { [K in keyof S]: S[K] extends Setting<infer T> ? T : never } {
  const out: Record<string, unknown> = {};
  for (const [name, { schema, expected, file }] of Object.entries(settings)) {
    const raw = env[name];
    let value = raw === undefined || raw.trim() === "" ? undefined : raw.trim();
    const fileVar = `${name}_FILE`;
    const path = file ? env[fileVar]?.trim() || undefined : undefined;
    if (path !== undefined) {
      // Two sources for one secret: refuse rather than guess which one the operator meant.
      if (value !== undefined) throw new ConfigError(fileVar, `to be unset when ${name} is set (give one of the two)`, undefined, "both");
      value = readSettingFile(fileVar, path);
      const result = schema.safeParse(value);
      // The file holds a secret (or a URL with one): name the variable, never show the content.
      if (!result.success) throw new ConfigError(fileVar, `a file holding ${expected}`, undefined, `${JSON.stringify(path)} (content not shown)`);
      out[name] = remember(name, result.data);
      continue;
    }
    const result = schema.safeParse(value);
    if (!result.success) throw new ConfigError(name, expected, raw);
    out[name] = remember(name, result.data);
  }
  return out as { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };
}

/**
 * A credential's value, registered with libs/errors' redaction as it is
 * loaded (a secret-named setting, or the password of a URL's userinfo), so no
 * log line, error message or status line can carry it, wherever a client
 * quotes it.
 */
function remember<T>(name: string, value: T): T {
  if (typeof value !== "string") return value;
  if (isSecretName(name)) registerSecret(value);
  else if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(value)) {
    try {
      const { password } = new URL(value);
      if (password) registerSecret(decodeURIComponent(password));
    } catch {
      // not a URL: nothing to register
    }
  }
  return value;
}

const FILE_ERRORS: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "a directory", EPERM: "permission denied" };

/**
 * The content of a `<NAME>_FILE` setting (the convention of Docker and
 * Kubernetes secrets: /run/secrets/<name>), read once at load. Only trailing
 * line breaks are dropped (an editor's or `echo`'s newline); any other
 * character, spaces included, belongs to the secret. An unreadable or empty
 * file is one line naming the variable and the path, never the content.
 */
export function readSettingFile(variable: string, path: string): string {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code ?? "";
    throw new ConfigError(variable, "the path of a readable file", undefined, `${JSON.stringify(path)} (${FILE_ERRORS[code] ?? (code || "unreadable")})`);
  }
  const value = content.replace(/[\r\n]+$/, "");
  if (value === "") throw new ConfigError(variable, "the path of a readable file", undefined, `${JSON.stringify(path)} (empty)`);
  return value;
}

/** `setting`, which may also be given as a file named by `<NAME>_FILE` (for secrets and URLs that carry credentials). */
export const fromFile = <T>(s: Setting<T>): Setting<T> => ({ ...s, file: true });

// ---- building blocks: one place owns the parsing of each kind of value ----

const optionalString = z.string().optional();

export const str = (fallback: string) => setting("a non-empty string", optionalString.transform((v) => v ?? fallback));

export const optionalStr = () => setting("a string", optionalString);

/** A password, API key or token: optional, and also readable from `<NAME>_FILE`. */
export const secret = () => fromFile(setting("a string", optionalString));

export const int = (fallback: number, min: number, max: number) =>
  setting(
    `an integer from ${min} to ${max}`,
    optionalString
      .refine((v) => v === undefined || /^-?\d+$/.test(v))
      .transform((v) => (v === undefined ? fallback : Number(v)))
      .pipe(z.number().int().min(min).max(max)),
  );

export const optionalInt = (min: number, max: number) =>
  setting(
    `an integer from ${min} to ${max}`,
    optionalString
      .refine((v) => v === undefined || /^-?\d+$/.test(v))
      .transform((v) => (v === undefined ? undefined : Number(v)))
      .pipe(z.number().int().min(min).max(max).optional()),
  );

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address to listen on: an IPv4 or IPv6 literal, or a host name. */
export const listenHost = (fallback: string) =>
  setting(
    "an IP address or host name to listen on (127.0.0.1, 0.0.0.0, ::)",
    optionalString.transform((v) => v ?? fallback).refine((v) => isIP(v) !== 0 || HOSTNAME.test(v)),
  );

/** A TCP port; 0 asks the OS for any free one (tests). */
export const port = (fallback: number) => int(fallback, 0, 65535);

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

export const bool = (fallback: boolean) =>
  setting(
    "true or false",
    optionalString
      .refine((v) => v === undefined || TRUE.has(v.toLowerCase()) || FALSE.has(v.toLowerCase()))
      .transform((v) => (v === undefined ? fallback : TRUE.has(v.toLowerCase()))),
  );

export const oneOf = <T extends string>(values: readonly [T, ...T[]], fallback: T) =>
  setting(
    `one of ${values.join(", ")}`,
    optionalString.transform((v) => v ?? fallback).pipe(z.enum(values)),
  );

export const optionalOneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  setting(`one of ${values.join(", ")}`, z.enum(values).optional());

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as `500ms`, `30s`, `5m`, `1h` (a bare number is milliseconds), normalized to ms. */
export const duration = (fallback: string) =>
  setting(
    "a duration such as 500ms, 30s, 5m or 1h",
    optionalString
      .transform((v) => v ?? fallback)
      .refine((v) => /^\d+(ms|s|m|h)?$/.test(v))
      .transform((v) => {
        const [, n, unit] = /^(\d+)(ms|s|m|h)?$/.exec(v) as RegExpExecArray;
        return Number(n) * UNIT_MS[unit ?? "ms"]!;
      }),
  );

const HOST_PORT = /^[A-Za-z0-9.\-_]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export const hostPortList = (fallback: string) =>
  setting(
    "a comma-separated list of host:port",
    optionalString
      .transform((v) => (v ?? fallback).split(",").map((s) => s.trim()).filter(Boolean))
      .refine((list) => list.length > 0 && list.every((hp) => HOST_PORT.test(hp))),
  );

export const url = (fallback: string | undefined, protocols: readonly string[]) =>
  setting(
    `a URL (${protocols.join(" or ")})`,
    optionalString
      .transform((v) => v ?? fallback)
      .refine((v) => {
        if (v === undefined) return true;
        try {
          return protocols.includes(new URL(v).protocol.replace(/:$/, ""));
        } catch {
          return false;
        }
      }),
  );

/** A path to a readable file, read at start so a typo stops the service at once. */
export const fileContents = () =>
  setting(
    "the path of a readable file",
    optionalString.transform((path, ctx) => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch {
        ctx.addIssue({ code: "custom", message: "unreadable" });
        return z.NEVER;
      }
    }),
  );

// Elasticsearch's index-name rules: lowercase, none of \ / * ? " < > | space , # :,
// not starting with - _ +, not . or .., at most 255 bytes (the prefix leaves
// room for "-YYYY.MM.DD").
const INDEX_NAME_FORBIDDEN = /[\\/*?"<>|,#:\s]/;
const DAILY_SUFFIX_BYTES = "-YYYY.MM.DD".length;

/** The prefix of daily Elasticsearch indices (`<prefix>-YYYY.MM.DD`), also usable as an alias and template name. */
export const indexPrefix = (fallback: string) =>
  setting(
    "an Elasticsearch index name (lowercase, without \\ / * ? \" < > | , # : or spaces, not starting with - _ +)",
    optionalString
      .transform((v) => v ?? fallback)
      .refine(
        (v) =>
          v.length > 0 &&
          v === v.toLowerCase() &&
          !INDEX_NAME_FORBIDDEN.test(v) &&
          !/^[-_+]/.test(v) &&
          v !== "." &&
          v !== ".." &&
          Buffer.byteLength(v) + DAILY_SUFFIX_BYTES <= 255,
      ),
  );

export const logLevel = () => oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const, "info");

// Credentials never reach a log line or an error message: URLs of settings
// carry userinfo (https://elastic:changeme@es:9200, redis://:pw@redis:6379),
// and client errors carry request headers. Pure functions, used by the
// messages we build (ConfigError, "Elasticsearch at <url>") and, as a safety
// net, by the logger (libs/runtime) on every line it writes.

const MASK = "***";

/** Names of settings, header and object keys whose value is a secret. */
const SECRET_NAME = /passw(or)?d|passphrase|secret|token|api[-_]?key|authorization|credential/i;

export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

// scheme://userinfo@ — userinfo up to the first "@" before the host, without "/", whitespace or quotes.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"<>]+@/gi;
// ?api_key=..., &password=... in query strings.
const SECRET_QUERY = /([?&](?:[a-z0-9_-]*(?:passw(?:or)?d|secret|token|api[-_]?key|auth)[a-z0-9_-]*)=)[^&#\s'"]*/gi;

/**
 * The secrets this process was configured with (libs/config registers each
 * credential setting's value as it loads it). The patterns above only catch a
 * secret where it is expected (a URL's userinfo, a named key); a client that
 * quotes one in free text ("AUTH <password> failed") is caught by its value.
 * Values shorter than this are left to the patterns: masking every "pw" of
 * every line would make the logs unreadable and protect nothing.
 */
const knownSecrets = new Set<string>();
const MIN_KNOWN_SECRET = 4;

/** Masks `value` wherever it appears in what redactCredentials and scrubSecrets pass (every log line). */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_KNOWN_SECRET) return;
  knownSecrets.add(value);
  // The form a URL carries it in, too.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) knownSecrets.add(encoded);
}

/** `text` with every URL's userinfo, every secret query parameter and every registered secret replaced by ***. */
export function redactCredentials(text: string): string {
  let out = text.replace(URL_USERINFO, `$1${MASK}@`).replace(SECRET_QUERY, `$1${MASK}`);
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  return out;
}

/** A URL for logs and messages: userinfo and secret query parameters masked. */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}

/**
 * Redis commands whose arguments are credentials. ioredis attaches the failed
 * command to its ReplyError (`err.command = { name: "hello", args: ["3",
 * "AUTH", user, password] }` for a wrong password), and pino's error
 * serializer copies it into the log line: measured against a redis-server
 * with requirepass, the password was in the line.
 */
const CREDENTIAL_COMMANDS = new Set(["auth", "hello", "acl", "migrate", "config"]);

const isCredentialCommand = (o: Record<string, unknown>): boolean =>
  typeof o.name === "string" && Array.isArray(o.args) && CREDENTIAL_COMMANDS.has(o.name.toLowerCase());

/**
 * A deep copy of `value` with every string redacted and every value under a
 * secret-named key (authorization, password, apiKey...) masked: for objects a
 * log line carries (errors with their request metadata, settings). What is
 * deeper than `depth` or seen before (a cycle) is replaced by a marker, never
 * passed on unscrubbed.
 */
export function scrubSecrets<T>(value: T, depth = 8, seen = new WeakSet<object>()): T {
  if (typeof value === "string") return redactCredentials(value) as T;
  if (value === null || typeof value !== "object") return value;
  if (value instanceof URL) return redactUrl(value.toString()) as T;
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  if (depth <= 0) return "[too deep]" as T;
  if (seen.has(value as object)) return "[circular]" as T;
  seen.add(value as object);
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth - 1, seen)) as T;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    out[k] = isSecretName(k) && v !== undefined && v !== null && v !== "" ? MASK : scrubSecrets(v, depth - 1, seen);
  }
  if (isCredentialCommand(record)) out.args = [MASK];
  return out as T;
}

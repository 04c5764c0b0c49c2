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

/** `text` with every URL's userinfo and every secret query parameter replaced by ***. */
export function redactCredentials(text: string): string {
  return text.replace(URL_USERINFO, `$1${MASK}@`).replace(SECRET_QUERY, `$1${MASK}`);
}

/** A URL for logs and messages: userinfo and secret query parameters masked. */
export function redactUrl(url: string): string {
  return redactCredentials(url);
}

/**
 * A deep copy of `value` with every string redacted and every value under a
 * secret-named key (authorization, password, apiKey...) masked: for objects a
 * log line carries (errors with their request metadata, settings).
 */
export function scrubSecrets<T>(value: T, depth = 8, seen = new WeakSet<object>()): T {
  if (typeof value === "string") return redactCredentials(value) as T;
  if (value === null || typeof value !== "object" || depth <= 0) return value;
  if (seen.has(value as object)) return value;
  seen.add(value as object);
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth - 1, seen)) as T;
  if (value instanceof URL) return redactUrl(value.toString()) as T;
  if (Buffer.isBuffer(value) || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretName(k) && v !== undefined && v !== null && v !== "" ? MASK : scrubSecrets(v, depth - 1, seen);
  }
  return out as T;
}

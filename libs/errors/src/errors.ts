import { isSecretName, redactCredentials } from "./redact.js";
/**
 * The one error taxonomy. Every failure dockwatch raises on purpose carries a
 * stable `code` (for logs, metrics and dead-letter headers) and says whether
 * trying again can help. Code decides by these two properties, never by an
 * error's class name or message text.
 *
 * - retryable: a dependency (broker, Redis, Elasticsearch, the engine) failed;
 *   the same operation may succeed later. Retry, never dead-letter.
 * - permanent record error: the input itself is bad; retrying cannot help.
 *   Dead-letter it with the code as the reason.
 * - config: a setting is wrong; the service stops with one line.
 *
 * An error without a code (a TypeError from a bug, an error of a library we do
 * not classify) is unknown: it is retried under a bounded policy and then stops
 * the service with its stack, so a bug never passes for a bad record.
 */
export interface DockwatchErrorOptions {
  retryable: boolean;
  cause?: unknown;
}

export class DockwatchError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: DockwatchErrorOptions) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable;
  }
}

/** A dependency failed; the operation may succeed later. */
export class DependencyError extends DockwatchError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: true });
  }
}

/** The record itself is bad: no retry can help; it belongs in the dead-letter topic. */
export class RecordError extends DockwatchError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}

/** A bad setting: `message` is the one line a service prints before it stops. */
export class ConfigError extends DockwatchError {
  /** The value given, redacted (never a secret). */
  readonly got: string | undefined;

  /**
   * `describe`, when given, replaces the "got ..." part: a phrase the caller
   * built from things that are not secret (a secret file's path and why it
   * could not be read, "both"), for the cases where the value is not the point.
   */
  constructor(
    readonly variable: string,
    readonly expected: string,
    got: string | undefined,
    describe?: string,
  ) {
    // The value as given, but never a secret: a secret setting's value is not shown, a URL's userinfo is masked.
    const secret = isSecretName(variable);
    const safe = got === undefined ? undefined : secret ? "(not shown)" : redactCredentials(got);
    const shown = describe ?? (safe === undefined ? "nothing" : secret ? "a value (not shown)" : JSON.stringify(safe));
    super("config", `${variable}: expected ${expected}, got ${shown}`, { retryable: false });
    this.got = safe;
  }
}

export type ErrorClass = "retryable" | "record" | "config" | "unknown";

/** How code should treat `err`: by its taxonomy, never by its message. */
export function classify(err: unknown): ErrorClass {
  if (err instanceof ConfigError) return "config";
  if (err instanceof DockwatchError) return err.retryable ? "retryable" : "record";
  return "unknown";
}

export const isRetryable = (err: unknown): boolean => err instanceof DockwatchError && err.retryable;

/** The code of a classified error, "unknown" otherwise: for logs, metrics and headers. */
export const errorCode = (err: unknown): string => (err instanceof DockwatchError ? err.code : "unknown");

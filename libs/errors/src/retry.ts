import { DockwatchError } from "./errors.js";

/**
 * How to retry: capped exponential backoff with jitter in the upper half of
 * each step, so instances that failed together do not retry together.
 * Policies come from configuration (durations already in ms).
 */
export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** Give up after this many attempts in all (default: never). */
  maxAttempts?: number;
  /** Give up once this long has passed since the first attempt (default: never). */
  maxElapsedMs?: number;
}

export interface RetryHooks {
  /** Whether `err` is worth another attempt (default: every error is). */
  retryIf?: (err: unknown, attempt: number) => boolean;
  /** Called before each wait: for a log line or a metric. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Source of randomness in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/** Thrown by retry() when its signal aborts before an attempt succeeded; `cause` is the last failure. */
export class RetryAbortedError extends DockwatchError {
  constructor(cause: unknown) {
    super("aborted", "stopped while retrying", { retryable: false, cause });
  }
}

/** The delay before attempt `attempt + 1` (0-based): ceiling/2 .. ceiling, ceiling = min(max, initial·2^attempt). */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, "initialMs" | "maxMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (the listener never outlives the sleep). */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Runs `operation` until it succeeds, waiting between attempts per `policy`.
 * Throws the last error when `retryIf` refuses it or the policy's attempts or
 * time run out, and RetryAbortedError when `signal` aborts first.
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  hooks: RetryHooks = {},
): Promise<T> {
  const started = Date.now();
  let lastError: unknown = signal?.reason;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw new RetryAbortedError(lastError);
    try {
      return await operation(attempt);
    } catch (err) {
      lastError = err;
      if (signal?.aborted) throw new RetryAbortedError(err);
      if (hooks.retryIf && !hooks.retryIf(err, attempt)) throw err;
      if (policy.maxAttempts !== undefined && attempt + 1 >= policy.maxAttempts) throw err;
      let delay = backoffDelay(attempt, policy, hooks.random);
      if (policy.maxElapsedMs !== undefined) {
        const left = policy.maxElapsedMs - (Date.now() - started);
        if (left <= 0) throw err;
        delay = Math.min(delay, left);
      }
      hooks.onRetry?.(err, attempt, delay);
      await sleep(delay, signal);
    }
  }
}

import { RetryAbortedError, backoffDelay, classify, retry, sleep, type RetryPolicy } from "@dockwatch/errors";
import type { Component, ComponentContext } from "./lifecycle.js";
import type { Logger } from "./logger.js";

/** Judges failures by the error taxonomy for retry(); see retryByTaxonomy. */
export interface TaxonomyRetry {
  readonly retryIf: (err: unknown) => boolean;
  /** Something succeeded: unknown errors count from zero again. */
  reset(): void;
}

/**
 * Which failures are worth another attempt, by the error taxonomy: a
 * dependency failure always (the policy bounds it), a bad record or setting
 * never, and an error nobody classified (a bug, an unwrapped library error)
 * only `unknownAttempts` times in a row, so a bug stops the service instead of
 * looping forever or passing for a bad record. A known failure resets the count.
 */
export function retryByTaxonomy(unknownAttempts: number): TaxonomyRetry {
  let unknownInARow = 0;
  return {
    retryIf(err) {
      const kind = classify(err);
      if (kind !== "unknown") unknownInARow = 0;
      if (kind === "retryable") return true;
      if (kind !== "unknown") return false;
      unknownInARow += 1;
      return unknownInARow < unknownAttempts;
    },
    reset() {
      unknownInARow = 0;
    },
  };
}

export interface BackgroundOptions {
  name: string;
  logger: Logger;
  /** Waits between attempts (durations in ms, from the service's config). */
  retry: RetryPolicy;
  /** Unclassified errors in a row before the component gives up (see retryByTaxonomy). */
  unknownAttempts: number;
  /** How long start() waits for the first successful attempt before returning anyway (default 0). */
  waitMs?: number;
  /** One attempt to get going (connect, prepare); retried until it succeeds. */
  attempt(signal: AbortSignal): Promise<void>;
  /**
   * The job after a successful attempt, until `signal` aborts. When it
   * returns (a stream ended) or fails retryably, the component starts over
   * with a new attempt. Without it the component just stays started.
   */
  run?(signal: AbortSignal): Promise<void>;
  /** Releases what a successful attempt acquired: after each run, and at stop. */
  release?(): Promise<void>;
  /**
   * Gave up (retries exhausted, a bug, a bad setting). Without it the
   * lifecycle's fatal() (the context given to start) logs it with its stack
   * and stops the service.
   */
  onFailure?(err: unknown): void;
}

export interface BackgroundComponent extends Component {
  /** Resolves when an attempt first succeeded; never rejects. */
  readonly started: Promise<void>;
  /** Between a successful attempt and the end of its run. */
  readonly running: boolean;
}

/**
 * A component whose start runs in the background with retry and backoff, so
 * the service goes live (health up, not ready) while a dependency such as the
 * Docker engine or Kafka is not reachable yet. stop() aborts the retry or the
 * run, waits for the one attempt in flight, and releases what it acquired.
 */
export function backgroundComponent(opts: BackgroundOptions): BackgroundComponent {
  const { name, logger } = opts;
  const abort = new AbortController();
  const judge = retryByTaxonomy(opts.unknownAttempts);
  let running = false;
  let acquired = false;
  let loop: Promise<void> | undefined;
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));

  async function release(): Promise<void> {
    if (!acquired) return;
    acquired = false;
    await opts.release?.().catch((err: unknown) => logger.warn({ err }, `${name}: release failed`));
  }

  let context: ComponentContext | undefined;

  function giveUp(err: unknown): void {
    if (opts.onFailure) {
      logger.error({ err }, `${name}: giving up; stopping the service`);
      opts.onFailure(err);
    } else if (context) {
      context.fatal(err, "giving up");
    } else {
      logger.error({ err }, `${name}: giving up, and nothing supervises it`);
    }
  }

  async function supervise(): Promise<void> {
    const signal = abort.signal;
    for (let session = 0; !signal.aborted; session++) {
      // After a run ended, pause before reconnecting, so a peer that accepts and drops at once is not hammered.
      if (session > 0) await sleep(backoffDelay(0, opts.retry), signal);
      try {
        await retry(() => opts.attempt(signal), opts.retry, signal, {
          retryIf: judge.retryIf,
          onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, `${name}: not available yet; retrying in ${delayMs} ms`),
        });
      } catch (err) {
        if (!signal.aborted && !(err instanceof RetryAbortedError)) giveUp(err);
        return;
      }
      acquired = true;
      running = true;
      markStarted();
      if (!opts.run) return;
      try {
        await opts.run(signal);
        judge.reset();
      } catch (err) {
        if (!signal.aborted) {
          // An attempt's error was judged by retry(); a run's is judged here, by the same count.
          if (!judge.retryIf(err)) {
            running = false;
            await release();
            giveUp(err);
            return;
          }
          logger.warn({ err }, `${name}: failed; starting over`);
        }
      }
      running = false;
      await release();
    }
  }

  return {
    name,
    started,
    get running() {
      return running;
    },
    ready: () => running,
    async start(ctx?: ComponentContext) {
      context = ctx;
      const ended = (loop = supervise());
      if (opts.waitMs) await Promise.race([started, ended, sleep(opts.waitMs)]);
    },
    async stop() {
      abort.abort();
      await loop;
      running = false;
      await release();
    },
  };
}

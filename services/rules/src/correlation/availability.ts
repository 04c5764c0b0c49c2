import { DependencyError, isRetryable } from "@dockwatch/errors";
import type { CorrelationHit, Correlator } from "@dockwatch/rule-engine";
import type { Logger, Metrics } from "@dockwatch/runtime";
import type { Redis } from "ioredis";

// Degrade, don't stop: Redis holds only correlation state (frequency windows,
// silent hosts), so while it is unusable the rules service keeps emitting
// every per-event alert and pauses correlation, instead of holding every batch
// until Redis is back. This module knows whether Redis is usable right now,
// shows it (/metrics gauge, one log line per transition) and fails Redis work
// fast while it is not, so a batch never waits on Redis once per event.
//
// Unusable = not connected (ioredis reconnects in the background), or
// connected but failing: after a failed command (a Redis that hangs times out
// after the client's commandTimeout while its socket stays open) no command
// is sent for a pause that doubles with each consecutive failure (1 s up to
// 30 s); the first command after the pause probes it, and a success ends the
// outage.

/** The gauge `dockwatch status` reads (services/cli). */
export const CORRELATION_AVAILABLE_METRIC = "correlation_available";

export interface CorrelationAvailability {
  /** Redis is connected, and not paused after a failure. */
  available(): boolean;
  /**
   * When Redis last became usable (ms), undefined while it is not: the host
   * sweeper waits SILENT_HOST_AFTER from then, since the heartbeats of the
   * outage were not recorded.
   */
  availableSinceMs(): number | undefined;
  /** Runs a Redis operation if Redis is usable (else a retryable error at once), and learns from its outcome. */
  guard<T>(op: () => Promise<T>): Promise<T>;
  /** An event whose frequency rules could not count it. */
  skippedCorrelation(): void;
  /** A collector heartbeat the host watch could not record. */
  skippedHeartbeat(): void;
}

export interface AvailabilityOptions {
  metrics: Metrics;
  logger: Logger;
  now?: () => number;
  /** First pause after a failed command; doubles per consecutive failure up to maxPauseMs. */
  pauseMs?: number;
  maxPauseMs?: number;
}

export function trackAvailability(redis: Redis, opts: AvailabilityOptions): CorrelationAvailability {
  const { metrics, logger } = opts;
  const now = opts.now ?? Date.now;
  const pauseMs = opts.pauseMs ?? 1_000;
  const maxPauseMs = opts.maxPauseMs ?? 30_000;
  let since: number | undefined;
  let wasDown = false;
  let failures = 0;
  let pausedUntil = 0;

  const show = () =>
    metrics.set(CORRELATION_AVAILABLE_METRIC, "1 when Redis is usable and correlation (frequency rules, silent hosts) runs; 0 while it is paused", since === undefined ? 0 : 1);
  const up = () => {
    if (since !== undefined) return;
    since = now();
    show();
    if (wasDown) logger.info("correlation resumed: Redis is usable again");
  };
  const down = (why: string) => {
    if (since === undefined && wasDown) return;
    since = undefined;
    show();
    // "end" already: the client was quit (the service stops), not lost; our retry strategy never gives up.
    if (redis.status === "end") return;
    wasDown = true;
    logger.warn(`correlation unavailable (${why}): per-event alerts go on, marked dockwatch.correlation=unavailable; frequency rules and silent hosts paused`);
  };
  const connected = () => redis.status === "ready";
  const available = () => connected() && now() >= pausedUntil;

  redis.on("ready", () => {
    failures = 0;
    pausedUntil = 0;
    up();
  });
  // "close" comes with every lost connection (and after quit()).
  redis.on("close", () => down("Redis unreachable"));
  if (connected()) up();
  else show();

  return {
    available,
    availableSinceMs: () => (available() ? since : undefined),
    async guard(op) {
      if (!available()) throw new DependencyError("redis-unavailable", connected() ? "redis paused after failed commands" : "redis not connected");
      try {
        const value = await op();
        if (failures > 0) {
          failures = 0;
          up();
        }
        return value;
      } catch (err) {
        if (isRetryable(err)) {
          failures += 1;
          pausedUntil = now() + Math.min(maxPauseMs, pauseMs * 2 ** (failures - 1));
          down("Redis commands failing");
        }
        throw err;
      }
    },
    skippedCorrelation: () => metrics.inc("correlation_skipped_total", "events not counted by frequency rules because Redis was unusable"),
    skippedHeartbeat: () => metrics.inc("heartbeats_skipped_total", "collector heartbeats not recorded because Redis was unusable"),
  };
}

/**
 * The correlator through the availability guard: while Redis is unusable it
 * fails at once (retryable, so evaluate degrades). A batch (observeMany) is
 * one guarded operation: unusable Redis rejects every observation at once, and
 * a batch in which any observation failed counts as a failed command.
 */
export function whenAvailable(correlator: Correlator, availability: CorrelationAvailability): Correlator {
  const many = correlator.observeMany?.bind(correlator);
  return {
    observe: (spec, group, eventId, eventTimeMs) => availability.guard(() => correlator.observe(spec, group, eventId, eventTimeMs)),
    ...(many
      ? {
          async observeMany(observations) {
            let outcomes;
            try {
              outcomes = await availability.guard(async () => {
                const settled = await many(observations);
                const failed = settled.find((o) => o.status === "rejected" && isRetryable(o.reason));
                // Thrown only for the guard to learn the failure; the settled outcomes still go back.
                if (failed) throw new PartialFailure(settled, (failed as PromiseRejectedResult).reason);
                return settled;
              });
            } catch (err) {
              if (err instanceof PartialFailure) return err.settled;
              if (!isRetryable(err)) throw err;
              return observations.map((): PromiseRejectedResult => ({ status: "rejected", reason: err }));
            }
            return outcomes;
          },
        }
      : {}),
  };
}

/** A batch some of whose observations failed (retryable): the guard pauses Redis, the caller keeps the rest. */
class PartialFailure extends DependencyError {
  constructor(
    readonly settled: Array<PromiseSettledResult<CorrelationHit | null>>,
    cause: unknown,
  ) {
    super("redis-unavailable", `some correlation commands failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

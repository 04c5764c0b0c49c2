import { DependencyError } from "@dockwatch/errors";
import type { Correlator } from "@dockwatch/rule-engine";
import type { Logger, Metrics } from "@dockwatch/runtime";
import type { Redis } from "ioredis";

// Degrade, don't stop: Redis holds only correlation state (frequency windows,
// silent hosts), so while it is unreachable the rules service keeps emitting
// every per-event alert and pauses correlation, instead of holding every batch
// until Redis is back. This module knows whether Redis is usable right now,
// shows it (/metrics gauge, one log line per transition) and fails Redis work
// fast while it is not, so a batch never waits on a reconnect per event.

/** The gauge `dockwatch status` reads (services/cli). */
export const CORRELATION_AVAILABLE_METRIC = "correlation_available";

export interface CorrelationAvailability {
  /** Redis is connected and ready for commands. */
  available(): boolean;
  /**
   * When Redis last became available (ms), undefined while it is not: the
   * host sweeper waits SILENT_HOST_AFTER from then, since the heartbeats of
   * the outage were not recorded.
   */
  availableSinceMs(): number | undefined;
  /** An event whose frequency rules could not count it. */
  skippedCorrelation(): void;
  /** A collector heartbeat the host watch could not record. */
  skippedHeartbeat(): void;
}

export function trackAvailability(redis: Redis, opts: { metrics: Metrics; logger: Logger; now?: () => number }): CorrelationAvailability {
  const { metrics, logger } = opts;
  const now = opts.now ?? Date.now;
  let since: number | undefined;
  let wasDown = false;
  const show = () =>
    metrics.set(CORRELATION_AVAILABLE_METRIC, "1 when Redis is reachable and correlation (frequency rules, silent hosts) runs; 0 while it is paused", since === undefined ? 0 : 1);
  const up = () => {
    if (since !== undefined) return;
    since = now();
    show();
    if (wasDown) logger.info("correlation resumed: Redis is reachable again");
  };
  const down = () => {
    if (since === undefined && wasDown) return;
    since = undefined;
    show();
    // "end" already: the client was quit (the service stops), not lost; our retry strategy never gives up.
    if (redis.status === "end") return;
    wasDown = true;
    logger.warn("correlation unavailable (Redis unreachable): per-event alerts go on, marked dockwatch.correlation=unavailable; frequency rules and silent hosts paused");
  };
  // "close" comes with every lost connection (and after quit()).
  redis.on("ready", up);
  redis.on("close", down);
  if (redis.status === "ready") up();
  else show();
  return {
    available: () => redis.status === "ready",
    availableSinceMs: () => (redis.status === "ready" ? since : undefined),
    skippedCorrelation: () => metrics.inc("correlation_skipped_total", "events not counted by frequency rules because Redis was unreachable"),
    skippedHeartbeat: () => metrics.inc("heartbeats_skipped_total", "collector heartbeats not recorded because Redis was unreachable"),
  };
}

/**
 * The correlator, failing at once (retryable, so evaluate degrades) while
 * Redis is known to be down rather than queueing a command per event behind
 * the reconnect.
 */
export function whenAvailable(correlator: Correlator, availability: CorrelationAvailability): Correlator {
  return {
    observe(spec, group, eventId, eventTimeMs) {
      if (!availability.available()) return Promise.reject(new DependencyError("redis-unavailable", "redis not connected"));
      return correlator.observe(spec, group, eventId, eventTimeMs);
    },
  };
}

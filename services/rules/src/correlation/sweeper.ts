import type { Component, Logger } from "@dockwatch/runtime";
import type { HostTransition } from "@dockwatch/rule-engine";
import type { HostWatch } from "./hosts.js";

export interface HostSweeperOptions {
  watch: HostWatch;
  intervalMs: number;
  silentAfterMs: number;
  logger: Logger;
  /**
   * When the host state last became usable (Redis reachable), undefined while
   * it is not. No sweep until SILENT_HOST_AFTER after that: the heartbeats
   * of an outage were not recorded, and judging last-seen times earlier would
   * call every host silent. Always usable when absent.
   */
  availableSinceMs?: () => number | undefined;
  /**
   * This instance's watermark (PipelineProgress.watermarkMs): the event time
   * up to which its input is processed; undefined skips the sweep (the
   * consumer is not fetching, nothing can be judged). Absent: caught up, now.
   */
  watermarkMs?: () => number | undefined;
  /** Whether this instance is behind (PipelineProgress.behind); absent: never. */
  behind?: () => boolean;
  /** Names this instance's watermark report among the others' (default "default"). */
  instanceId?: string;
  /** Produces the alerts of these transitions; throws when they were not acknowledged. */
  emit(transitions: HostTransition[]): Promise<void>;
  now?: () => number;
}

/**
 * Sweeps for silent hosts every `intervalMs` on each rules instance (the Lua
 * claim makes concurrent sweeps of several instances alert once). Confirms a
 * claim only after its alert was produced; a failed emit leaves the claim to
 * expire, and a later sweep (here or on another instance) re-emits it with the
 * same alert id.
 *
 * No sweep in the first `silentAfterMs` after start, nor while Redis is
 * unavailable or in the first `silentAfterMs` after it came back: a rules
 * service that was down has a backlog of heartbeats to consume (and one whose
 * Redis was down recorded none) before last-seen times are current again, and
 * judging them earlier would call every host silent.
 */
export function createHostSweeper(opts: HostSweeperOptions): Component & { sweepNow(): Promise<HostTransition[]> } {
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let startedAt = 0;
  let inFlight: Promise<unknown> | undefined;

  async function sweepNow(): Promise<HostTransition[]> {
    const t = now();
    const watermarkMs = opts.watermarkMs ? opts.watermarkMs() : t;
    if (watermarkMs === undefined) {
      opts.logger.debug("silent-host sweep skipped: the consumer is not fetching");
      return [];
    }
    const silent = await opts.watch.sweep(t, { instanceId: opts.instanceId ?? "default", watermarkMs, behind: opts.behind?.() ?? false });
    if (silent.length === 0) return silent;
    await opts.emit(silent);
    await opts.watch.confirm(silent.map((t) => t.agentId));
    opts.logger.info({ agents: silent.map((t) => t.agentId) }, "silent hosts alerted");
    return silent;
  }

  function tick(): void {
    // One sweep at a time per instance: a slow Redis skips ticks rather than queueing them.
    if (inFlight) return;
    const usableSince = opts.availableSinceMs ? opts.availableSinceMs() : startedAt;
    if (usableSince === undefined || now() - Math.max(startedAt, usableSince) < opts.silentAfterMs) return;
    inFlight = sweepNow()
      .catch((err: unknown) => opts.logger.warn({ err }, "silent-host sweep failed, retried at the next one"))
      .finally(() => (inFlight = undefined));
  }

  return {
    name: "silent-host sweeper",
    async start() {
      startedAt = now();
      timer = setInterval(tick, opts.intervalMs);
    },
    async stop() {
      clearInterval(timer);
      await inFlight;
    },
    sweepNow,
  };
}

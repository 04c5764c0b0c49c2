import { watch, type FSWatcher } from "node:fs";
import type { Component, Logger, Metrics } from "@dockwatch/runtime";
import { RulesetError, formatProblem, loadRuleset, type Ruleset, type RulesetSources } from "@dockwatch/rule-engine";

export interface RulesetHolder extends Component {
  /** The ruleset in force: the last one that loaded without errors. */
  current(): Ruleset;
  /**
   * Loads the files again. An invalid ruleset is rejected (its problems
   * logged with file:line), a read that fails (ENOENT while a config map is
   * swapped, EACCES) is logged and tried again after `retryMs`; either way the
   * old ruleset keeps running and `ruleset_reload_failures_total` counts it.
   * Returns true when the new ruleset took over.
   */
  reload(reason: string): boolean;
}

export interface RulesetHolderOptions {
  sources: RulesetSources;
  logger: Logger;
  /** Quiet time after the last file change before reloading (editors write in several steps). */
  debounceMs?: number;
  /** Reload on SIGHUP (default true). */
  sighup?: boolean;
  onReload?: (ruleset: Ruleset) => void;
  /** Counts failed reloads (ruleset_reload_failures_total). */
  metrics?: Metrics;
  /** After a reload that could not read the files, the next try (default 5 s): a config-map swap is over by then. */
  retryMs?: number;
}

/**
 * Holds the ruleset and reloads it on SIGHUP and when a file of the shipped or
 * local directory changes. The first load throws RulesetError: a service must
 * not start with a broken ruleset.
 */
export function createRulesetHolder(opts: RulesetHolderOptions): RulesetHolder {
  const { logger, sources } = opts;
  let ruleset = loadRuleset(sources);
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;

  const failed = () => opts.metrics?.inc("ruleset_reload_failures_total", "ruleset reloads rejected (invalid rules) or failed (files unreadable); the old ruleset kept running");

  function reload(reason: string): boolean {
    let next: Ruleset;
    try {
      next = loadRuleset(sources);
    } catch (err) {
      failed();
      if (err instanceof RulesetError) {
        logger.error(
          { reason, problems: err.problems.map(formatProblem), ruleset: ruleset.hash },
          `ruleset reload rejected (${err.problems.length} error(s)); keeping ruleset ${ruleset.hash}:\n${err.problems.map(formatProblem).join("\n")}`,
        );
      } else {
        // Reading failed, not the rules: a file vanished mid-swap, a permission. Worth another try.
        logger.error({ err, reason, ruleset: ruleset.hash }, `ruleset reload failed (${(err as Error)?.message ?? String(err)}); keeping ruleset ${ruleset.hash}, trying again`);
        clearTimeout(timer);
        timer = setTimeout(() => reload("retry after a failed reload"), opts.retryMs ?? 5_000);
      }
      return false;
    }
    if (next.hash !== ruleset.hash) {
      logger.info({ reason, from: ruleset.hash, to: next.hash, rules: next.rules.size }, "ruleset reloaded");
    }
    ruleset = next;
    opts.onReload?.(next);
    return true;
  }

  const onSighup = () => reload("SIGHUP");
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => reload("file change"), opts.debounceMs ?? 500);
  };

  return {
    name: "ruleset",
    current: () => ruleset,
    reload,
    async start() {
      for (const dir of [sources.shippedDir, sources.localDir]) {
        if (!dir) continue;
        try {
          watchers.push(watch(dir, schedule));
        } catch (err) {
          // A local dir created later is picked up by SIGHUP.
          logger.warn({ err, dir }, "not watching a rules directory");
        }
      }
      if (opts.sighup !== false) process.on("SIGHUP", onSighup);
    },
    async stop() {
      clearTimeout(timer);
      for (const w of watchers.splice(0)) w.close();
      process.off("SIGHUP", onSighup);
    },
    ready: () => true,
  };
}

// One chaos run: a world (stack + private Redis + injector + DLQ reader), the
// chosen scenarios in turn on it, the results. Used by main.ts (npm run chaos)
// and by the reduced run in the integration tests.
import { unique } from "@dockwatch/test-helpers";
import { acquireLock, type HeldLock } from "./lock.js";
import { allScenarios, errorResult, runScenario, type ChaosOptions, type ScenarioResult } from "./scenarios.js";
import { openWorld } from "./world.js";

export interface ChaosRun {
  run: string;
  results: ScenarioResult[];
  startedAt: Date;
  finishedAt: Date;
}

export function scenarioNames(): string[] {
  return allScenarios().map((s) => s.name);
}

/**
 * `servicesLog`: a file the services' output is appended to after each
 * scenario (their warnings and errors say why a scenario failed).
 */
export async function runChaos(
  opts: ChaosOptions,
  names: string[],
  log: (line: string) => void,
  servicesLog?: string,
  /** Called after each scenario with the results so far (the report is rewritten as the run goes). */
  onResult: (results: ScenarioResult[], run: string, startedAt: Date) => void = () => undefined,
  run = unique("chaos"),
): Promise<ChaosRun> {
  const known = allScenarios();
  const chosen = names.map((n) => {
    const s = known.find((k) => k.name === n);
    if (!s) throw new Error(`unknown scenario ${n} (known: ${known.map((k) => k.name).join(", ")})`);
    return s;
  });
  const startedAt = new Date();
  // Shared while using the shared Kafka/Elasticsearch, like every integration test.
  const locks: { shared?: HeldLock } = { shared: await acquireLock("shared") };
  const world = await openWorld(run, log);
  const results: ScenarioResult[] = [];
  try {
    for (const [i, scenario] of chosen.entries()) {
      log(`scenario ${i + 1}/${chosen.length}: ${scenario.name}`);
      const skip = await scenario.skip?.();
      if (scenario.ownWorld && !skip) {
        let own: Awaited<ReturnType<NonNullable<typeof scenario.ownWorld>>> | undefined;
        try {
          own = await scenario.ownWorld(`${run}-${scenario.name}`, log, (r, env) => openWorld(r, log, env));
          results.push(await runScenario(own.world, scenario, opts, locks, own.extra));
          if (servicesLog) own.world.flushOutput(servicesLog);
          onResult(results, run, startedAt);
        } catch (err) {
          log(`${scenario.name}: could not set up its world: ${(err as Error).message}`);
          results.push(errorResult(scenario.name, `could not set up its world: ${(err as Error).message}`));
        } finally {
          await own?.world.close();
          await own?.dispose();
        }
        continue;
      }
      results.push(await runScenario(world, scenario, opts, locks));
      if (servicesLog) world.flushOutput(servicesLog);
      onResult(results, run, startedAt);
    }
  } finally {
    await world.close();
    await locks.shared?.release();
  }
  return { run, results, startedAt, finishedAt: new Date() };
}

// The bench's shutdown phase: Ctrl-C on `dockwatch up` (what `npm start`
// runs once the stack is up), with the code of npm run measure:shutdown
// (../shutdown.ts), on the run's own topics, groups, ports and directories.
// Twice: SIGINT in full flow (raw records produced straight to its raw
// topic, the signal once the first are decoded), then `up` again, the rest
// drained, SIGINT idle. After each: the exit code, the time from the signal
// to the exit, and where each stage's group stands: in full flow the
// decoder's commit must cover exactly what it produced (one decoded record
// per raw one: nothing lost, nothing to be produced twice) and no group past
// its topic's end; idle, every group at its topic's end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drainedUp, flow, interrupt, positions, startUp, withHealthPorts, type GroupPosition, type Up } from "../shutdown.js";
import type { BenchWorld } from "./world.js";

export interface ShutdownRound {
  what: "in full flow" | "idle";
  ms: number;
  code: number | string;
  groups: GroupPosition[];
  decodedEnd: number;
  check: { ok: boolean; detail: string };
}

export interface ShutdownResult {
  records: number;
  rounds: ShutdownRound[];
}

const fmt = (n: number) => n.toLocaleString("en");
const stage = (g: GroupPosition, env: Record<string, string>) => (g.group === env.DECODER_CONSUMER_GROUP ? "decoder" : g.group === env.RULES_CONSUMER_GROUP ? "rules" : "sink");

/** Full flow: exit 0, the decoder's commit equal to what it produced, no commit past an end. */
export function checkBusy(code: number | string, groups: GroupPosition[], decodedEnd: number, env: Record<string, string>): { ok: boolean; detail: string } {
  const decoder = groups.find((g) => g.group === env.DECODER_CONSUMER_GROUP)!;
  const past = groups.filter((g) => g.committed > g.end);
  const ok = code === 0 && decoder.committed > 0 && decoder.committed === decodedEnd && past.length === 0;
  const where = groups.map((g) => `${stage(g, env)} ${fmt(g.committed)}/${fmt(g.end)}`).join(", ");
  return { ok, detail: `exit ${code}; committed/records at the stop: ${where}; ${fmt(decodedEnd)} decoded records ${decoder.committed === decodedEnd ? "= the decoder's commit" : "≠ the decoder's commit"}${past.length ? `; ${past.map((g) => stage(g, env)).join(", ")} committed past the end` : ""}` };
}

/** Idle: exit 0 and every group at its topic's end. */
export function checkIdle(code: number | string, groups: GroupPosition[], env: Record<string, string>): { ok: boolean; detail: string } {
  const behind = groups.filter((g) => g.committed !== g.end);
  return { ok: code === 0 && behind.length === 0, detail: `exit ${code}; ${behind.length ? `not at the end: ${behind.map((g) => `${stage(g, env)} ${fmt(g.committed)}/${fmt(g.end)}`).join(", ")}` : `every group at its topic's end (${groups.map((g) => `${stage(g, env)} ${fmt(g.end)}`).join(", ")})`}` };
}

export async function shutdownPhase(world: BenchWorld, records: number): Promise<ShutdownResult> {
  const prefix = `${world.run}-up`;
  world.track(prefix);
  const dir = mkdtempSync(join(tmpdir(), `${world.run}-up-`));
  const env = await withHealthPorts({
    ...world.env,
    TOPIC_RAW: await world.topic("up.raw"),
    TOPIC_DECODED: await world.topic("up.decoded"),
    TOPIC_ALERTS: await world.topic("up.alerts"),
    DECODER_CONSUMER_GROUP: `${world.run}-up-decoder`,
    RULES_CONSUMER_GROUP: `${world.run}-up-rules`,
    SINK_CONSUMER_GROUP: `${world.run}-up-sink`,
    SINK_INDEX_PREFIX: prefix,
    REDIS_KEY_PREFIX: `${world.run}:up:`,
    COLLECTOR_STATE_DIR: join(dir, "collector"),
    // Its own logs and pid file, not the shared infra/.local's.
    DOCKWATCH_INFRA_STATE: join(dir, "state"),
    // No heartbeat record in the instant of the stop.
    HEARTBEAT_INTERVAL: "1h",
  });
  const rounds: ShutdownRound[] = [];
  let up: Up | undefined;
  const keep = (label: string, u: Up) => world.output.push(...u.output().split("\n").filter(Boolean).map((l) => `up (${label}) | ${l}`));
  try {
    up = await startUp(env, world.servicesRoot);
    await flow(env, records);
    const busy = await interrupt(up);
    keep("in full flow", up);
    const p1 = await positions(world.admin, env);
    rounds.push({ what: "in full flow", ...busy, ...p1, check: checkBusy(busy.code, p1.groups, p1.decodedEnd, env) });

    up = await startUp(env, world.servicesRoot);
    await drainedUp(world.admin, env, up);
    // Idle for a moment: the consumers sit in a long fetch, as at a real Ctrl-C.
    await new Promise((r) => setTimeout(r, 2000));
    const idle = await interrupt(up);
    keep("idle", up);
    const p2 = await positions(world.admin, env);
    rounds.push({ what: "idle", ...idle, ...p2, check: checkIdle(idle.code, p2.groups, env) });
  } finally {
    if (up && up.child.exitCode === null) up.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
  return { records, rounds };
}

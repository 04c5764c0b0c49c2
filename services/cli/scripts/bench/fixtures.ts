// The bench's other input (--input fixtures): the real engine's events of
// libs/docker-event/fixtures/engine-20.10 (what dockerd 20.10 wrote for
// container, image, network, volume and swarm activity), cycled over N
// virtual hosts, each record with a time of its own (so every event, and
// every alert, is distinct) and the records built as the collector builds
// them (container events with plain inspect facts). The fleet simulator is
// the realistic mix; this one is the engine's exact lines, as the decoder's
// own benchmarks use them.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Engine } from "@dockwatch/contracts";
import { recordKey } from "@dockwatch/docker-event";
import { repoRoot } from "../../src/paths.js";
import { rawRecord, type Agent } from "../chaos/workload.js";
import { prng } from "@dockwatch/test-helpers";
import type { FleetOptions, FleetRecord } from "./fleet.js";

export const FIXTURES_DIR = join(repoRoot, "libs/docker-event/fixtures/engine-20.10");

/** Every engine line of the fixtures, file by file in name order. */
export function fixtureLines(dir = FIXTURES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.trim()));
}

/** An engine line with another event time (time in s and timeNano; bare integers, beyond a double's precision). */
export function retimed(line: string, timeNano: bigint): string {
  return line.replace(/"timeNano":\d+/, `"timeNano":${timeNano}`).replace(/"time":\d+/, `"time":${timeNano / 1_000_000_000n}`);
}

export class FixtureFleet {
  private readonly rand: () => number;
  private readonly lines: string[];
  private readonly hosts: Array<{ agent: Agent; engine: Engine }>;
  private i = 0;
  private lastNano = 0n;

  constructor(opts: Pick<FleetOptions, "hosts" | "seed" | "prefix">, lines = fixtureLines()) {
    if (lines.length === 0) throw new Error("fixtures: no engine lines");
    this.rand = prng(opts.seed);
    this.lines = lines;
    this.hosts = Array.from({ length: opts.hosts }, (_, h) => {
      const name = `${opts.prefix}-h${h}`;
      return { agent: { id: name, name, ip: `10.${(h >> 8) & 255}.${h & 255}.10` }, engine: { id: `FX:${h}:${name}`.toUpperCase(), hostname: name, version: "20.10.24", apiVersion: "1.41" } };
    });
  }

  /** The next fixture line, of a host picked at random, at `timeNano` (strictly increasing over the whole run). */
  next(timeNano: bigint): FleetRecord {
    const t = timeNano > this.lastNano ? timeNano : this.lastNano + 1n;
    this.lastNano = t;
    const h = Math.floor(this.rand() * this.hosts.length);
    const { agent, engine } = this.hosts[h]!;
    const record = rawRecord(retimed(this.lines[this.i++ % this.lines.length]!, t), agent, engine);
    return { key: recordKey(record), record, host: h };
  }
}

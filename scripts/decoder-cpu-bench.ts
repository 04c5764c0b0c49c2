// In-process micro-benchmark of the decoder's per-record work (not a test):
// the bench's fleet simulator (seeded) makes the raw records, the codec
// round-trips them as the raw topic does (so the values are avsc records, as
// in the service), then each repetition runs decodeEvent, boundDecodedEvent
// (through encodeBounded) and the codec's encode over all of them and prints
// CPU µs per record. The sha256 of every output byte must not change when
// the code gets faster.
//
//   node --import tsx scripts/decoder-cpu-bench.ts [records] [repetitions]
//
// It runs the built libraries (dist): build libs/docker-event and libs/codec first.
import { createHash } from "node:crypto";
import { createCodec, MemorySchemaStore } from "@dockwatch/codec";
import type { DockerEvent } from "@dockwatch/contracts";
import { CONTRACT_CHECKS } from "@dockwatch/contracts";
import { isLosslessNumber } from "lossless-json";
import { boundDecodedEvent, decodeEvent, DEFAULT_REDACTOR, encodeBounded, encodeRecord, MASK, parseLossless, plainJsonToPython, pythonJsonDumps } from "@dockwatch/docker-event";
import { Fleet } from "../services/cli/scripts/bench/fleet.js";

const n = Number(process.argv[2] ?? 20_000);
const reps = Number(process.argv[3] ?? 7);
const codec = createCodec({ store: new MemorySchemaStore(), checks: CONTRACT_CHECKS });
const fleet = new Fleet({ hosts: 50, seed: 1, prefix: "bench" });
let t = 1_764_000_000_000_000_000n;
const raws: DockerEvent[] = [];
for (let i = 0; i < n; i++) {
  t += 1_234_567n;
  const bytes = encodeRecord(fleet.next(t).record, (v) => codec.encode("DockerEvent", v));
  raws.push(await codec.decode<DockerEvent>("DockerEvent", bytes));
}

// full_log's shortcut against the slow path it skips, on every record: the
// lossless parse, the redactor's full copy as it was, Python's serialization.
const fullCopy = (v: unknown): unknown => {
  if (typeof v === "string") return DEFAULT_REDACTOR.text(v);
  if (Array.isArray(v)) return v.map(fullCopy);
  if (v !== null && typeof v === "object" && !isLosslessNumber(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) out[DEFAULT_REDACTOR.text(k)] = typeof inner === "string" && DEFAULT_REDACTOR.isSecretKey(k) ? MASK : fullCopy(inner);
    return out;
  }
  return v;
};
let shortcut = 0;
if (!process.env.NO_CHECK) for (const raw of raws) {
  if (raw.raw === null) continue;
  const fast = plainJsonToPython(raw.raw, DEFAULT_REDACTOR.leavesAlone(raw.raw) ? undefined : DEFAULT_REDACTOR);
  if (fast === undefined) continue;
  shortcut += 1;
  const slow = pythonJsonDumps(fullCopy(parseLossless(raw.raw)));
  if (fast !== slow) throw new Error(`full_log shortcut differs on ${raw.raw}`);
}
console.log(`full_log shortcut = slow path on all ${shortcut} records that take it`);

const once = (hash: boolean): string => {
  const h = hash ? createHash("sha256") : null;
  for (const raw of raws) {
    const bytes = encodeBounded(decodeEvent(raw), boundDecodedEvent, (v) => codec.encode("DecodedEvent", v), 1_000_000).bytes;
    h?.update(bytes);
  }
  return h ? h.digest("hex") : "";
};

console.log(`output sha256 ${once(true)} (${n} records)`);
const results: number[] = [];
for (let r = 0; r < reps; r++) {
  const before = process.cpuUsage();
  once(false);
  const used = process.cpuUsage(before);
  results.push((used.user + used.system) / n);
}
results.sort((a, b) => a - b);
console.log(`CPU µs/record: min ${results[0]!.toFixed(1)} median ${results[Math.floor(reps / 2)]!.toFixed(1)} (${results.map((x) => x.toFixed(1)).join(" ")})`);

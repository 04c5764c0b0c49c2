import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSchemas } from "@dockwatch/codec";
import { decodeEvent } from "@dockwatch/docker-event";
import { Fleet, mix } from "../scripts/bench/fleet.js";

const take = (fleet: Fleet, n: number, start = 1_795_873_684_000_000_000n) => Array.from({ length: n }, (_, i) => fleet.next(start + BigInt(i) * 1_000_000n));

const DockerEventSchema = loadSchemas().get("DockerEvent")!;

describe("bench fleet simulator", () => {
  it("is pure: the same seed gives the same records, another seed others", () => {
    const a = take(new Fleet({ hosts: 5, seed: 7, prefix: "t" }), 2000);
    const b = take(new Fleet({ hosts: 5, seed: 7, prefix: "t" }), 2000);
    const c = take(new Fleet({ hosts: 5, seed: 8, prefix: "t" }), 2000);
    const json = (l: typeof a) => JSON.stringify(l, (_, v) => (typeof v === "bigint" ? v.toString() : v));
    assert.equal(json(a), json(b));
    assert.notEqual(json(a), json(c));
  });

  it("gives the mix a fleet gives: lifecycle, healthcheck probes and statuses, people's execs, image/network/volume events, heartbeats", () => {
    const records = take(new Fleet({ hosts: 20, seed: 1, prefix: "t" }), 20_000).map((r) => r.record);
    const m = mix(records);
    for (const k of ["container create", "container start", "container die", "container stop", "container kill", "container destroy", "container exec_create", "container exec_start", "container exec_die", "container health_status", "image pull", "network connect", "volume mount", "status"]) {
      assert.ok((m[k] ?? 0) > 0, `${k} missing from ${JSON.stringify(m)}`);
    }
    assert.ok(m["container exec_start"]! > m["container start"]!, "probes and execs outnumber starts, as in a real fleet");
    const hosts = new Set(records.map((r) => r.agent.id));
    assert.equal(hosts.size, 20);
    const labels = records.flatMap((r) => Object.keys(r.event?.Actor.Attributes ?? {}));
    assert.ok(labels.includes("com.docker.compose.project") && labels.includes("io.kubernetes.pod.name"));
  });

  it("makes records the schema accepts and the decoder decodes, keyed like the collector, times strictly increasing per host", () => {
    const fleet = new Fleet({ hosts: 3, seed: 3, prefix: "t" });
    const last = new Map<number, bigint>();
    for (const { key, record, host } of take(fleet, 3000, 1n)) {
      assert.ok(DockerEventSchema.isValid(record), JSON.stringify(record, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
      const decoded = decodeEvent(record);
      assert.equal(decoded.agent.id, record.agent.id);
      assert.equal(key, record.kind === "engine" ? record.event!.Actor.ID : record.engine.id);
      const t = record.event?.timeNano ?? record.receivedAtNano;
      assert.ok(t > (last.get(host) ?? 0n));
      last.set(host, t);
    }
  });
});

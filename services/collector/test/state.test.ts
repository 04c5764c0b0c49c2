import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { EngineEvent } from "@dockwatch/contracts";
import {
  Checkpoint,
  LruCache,
  Spool,
  dockerTimeToNanos,
  engineTimeParam,
  ensureStateDir,
  factsFromInspect,
  loadCollectorConfig,
  reconcile,
  type Inventory,
} from "../src/index.js";

const ev = (timeNano: bigint, Action = "start", ID = "c1", Type = "container"): EngineEvent => ({
  Type,
  Action,
  Actor: { ID, Attributes: {} },
  scope: "local",
  time: timeNano / 1_000_000_000n,
  timeNano,
  status: null,
  id: null,
  from: null,
});

describe("checkpoint", () => {
  const t = 1538752533877226210n; // above 2^53
  it("recognises spooled events by identity, not by time order (engine times are not monotonic)", () => {
    const cp = new Checkpoint();
    cp.add(ev(t));
    cp.add(ev(t - 5n, "create", "c2")); // arrived later, stamped earlier
    assert.equal(cp.has(ev(t)), true);
    assert.equal(cp.has(ev(t - 5n, "create", "c2")), true);
    assert.equal(cp.has(ev(t - 7n, "create", "c3")), false, "an older-stamped event never seen is new");
    assert.equal(cp.has(ev(t, "attach")), false, "same nanosecond, other action");
    assert.equal(cp.lastNano, t - 5n);
    assert.equal(cp.sinceNano, t - 5n - 1_000_000_000n);
  });
  it("keeps only the engine's history length", () => {
    const cp = new Checkpoint();
    for (let i = 0n; i < 300n; i++) cp.add(ev(t + i, "create", `v${i}`));
    assert.equal(cp.toJSON().length, 256);
    assert.equal(cp.has(ev(t, "create", "v0")), false);
    assert.equal(new Checkpoint(cp.toJSON()).has(ev(t + 299n, "create", "v299")), true);
  });
  it("detects a history overrun when the last spooled event is not replayed", () => {
    const cp = new Checkpoint();
    cp.add(ev(t));
    assert.equal(cp.overrun([ev(t - 1n, "x"), ev(t), ev(t + 3n, "y")]), false);
    assert.equal(cp.overrun([ev(t + 5n, "y")]), true);
    assert.equal(cp.overrun([]), true);
    assert.equal(new Checkpoint().overrun([]), false);
  });
  it("formats since/until as seconds.nanoseconds", () => {
    assert.equal(engineTimeParam(1538752533000000042n), "1538752533.000000042");
  });
});

describe("reconcile", () => {
  const known: Inventory = new Map([
    ["a", { id: "a", name: "a", image: "i", state: "running" }],
    ["b", { id: "b", name: "b", image: "i", state: "exited" }],
    ["c", { id: "c", name: "c", image: "i", state: "running" }],
  ]);
  it("turns differences into container events", () => {
    const out = reconcile(known, [
      { id: "a", name: "a", image: "i", state: "exited" },
      { id: "b", name: "b", image: "i", state: "running" },
      { id: "d", name: "d", image: "i", state: "running" },
    ]);
    assert.deepEqual(
      out.map((t) => `${t.id}:${t.action}`),
      ["a:die", "b:start", "d:create", "d:start", "c:die", "c:destroy"],
    );
  });
  it("finds nothing when nothing changed", () => {
    assert.deepEqual(reconcile(known, [...known.values()]), []);
  });
});

describe("facts", () => {
  it("extracts the security-relevant facts of an inspect", () => {
    const f = factsFromInspect({
      Image: "sha256:abc",
      AppArmorProfile: "",
      Config: { User: "1000", Image: "busybox", Healthcheck: { Test: ["CMD-SHELL", "wget -q -O- localhost"] } },
      HostConfig: {
        Privileged: true,
        CapAdd: ["NET_ADMIN"],
        NetworkMode: "host",
        PidMode: "host",
        IpcMode: "private",
        UTSMode: "",
        SecurityOpt: ["seccomp=unconfined", "apparmor=unconfined"],
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
      },
      Mounts: [{ Type: "bind", Source: "/", Destination: "/host", RW: true }],
    });
    assert.deepEqual(f, {
      privileged: true,
      capAdd: ["NET_ADMIN"],
      mounts: [{ type: "bind", source: "/", destination: "/host", readWrite: true }],
      networkMode: "host",
      pidMode: "host",
      ipcMode: "private",
      utsMode: null,
      user: "1000",
      seccompProfile: "unconfined",
      apparmorProfile: "unconfined",
      restartPolicy: "on-failure:3",
      image: "busybox",
      imageId: "sha256:abc",
      healthcheck: ["CMD-SHELL", "wget -q -O- localhost"],
    });
  });
  it("has no healthcheck when none is configured or it is disabled", () => {
    assert.equal(factsFromInspect({ Config: {} }).healthcheck, null);
    assert.equal(factsFromInspect({ Config: { Healthcheck: { Test: ["NONE"] } } }).healthcheck, null);
  });
  it("keeps the engine's nanosecond digits of a time", () => {
    assert.equal(dockerTimeToNanos("2018-10-05T15:15:33.877226210Z"), 1538752533877226210n);
    assert.equal(dockerTimeToNanos("0001-01-01T00:00:00Z"), undefined);
  });
  it("LRU evicts the least recently used", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    c.get("a");
    c.set("c", 3);
    assert.equal(c.get("b"), undefined);
    assert.equal(c.get("a"), 1);
    assert.equal(c.size, 2);
  });
});

describe("spool", () => {
  it("survives a reopen: records, checkpoint and acked cursor", () => {
    const dir = mkdtempSync(join(tmpdir(), "spool-"));
    const s = Spool.open(dir);
    const cp = new Checkpoint();
    cp.add(ev(1538752533877226210n));
    s.write({ entries: [1, 2, 3].map((n) => ({ topic: "t", key: `k${n}`, value: Buffer.from([n]) })), checkpoint: cp });
    s.ack(s.read(2).at(-1)!.seq);
    s.close();
    const again = Spool.open(dir);
    assert.equal(again.size, 1);
    assert.deepEqual(again.read(10).map((r) => r.key), ["k3"]);
    assert.deepEqual(again.checkpoint()?.toJSON(), cp.toJSON());
    again.close();
  });
});

describe("config", () => {
  it("refuses a state dir that cannot be created, naming the variable", () => {
    const dir = mkdtempSync(join(tmpdir(), "state-"));
    writeFileSync(join(dir, "file"), "");
    assert.throws(() => ensureStateDir(join(dir, "file", "sub")), /^ConfigError: COLLECTOR_STATE_DIR: expected a creatable, writable directory/);
    assert.throws(() => loadCollectorConfig({ COLLECTOR_STATE_DIR: join(dir, "file", "sub") }), /COLLECTOR_STATE_DIR/);
    assert.throws(() => loadCollectorConfig({ COLLECTOR_STATE_DIR: dir, DOCKER_TLS_VERIFY: "1" }), /DOCKER_CERT_PATH/);
    assert.equal(loadCollectorConfig({ COLLECTOR_STATE_DIR: dir }).stateDir, dir);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DecodedEvent } from "@dockwatch/contracts";
import { seedAlerts } from "@dockwatch/test-helpers";
import { pythonJsonDumps } from "@dockwatch/docker-event";
import {
  correlationId,
  eventTimeMs,
  formatDuration,
  groupKey,
  heartbeatOf,
  hostAlertEvent,
  isCollectorStatus,
  sourceEventId,
  windowKeys,
  windowStart,
  type HostTransition,
} from "../src/index.js";

// The seed's "Container apache started" event: its exact timeNano from full_log.
const seed = seedAlerts().find((a) => a.action === "start")!;
const seedNano = /"timeNano": (\d+)/.exec(seed.engineEventText)![1]!;

describe("windowStart (tumbling windows aligned to the epoch, by event time)", () => {
  it("puts the seed's event (2018-10-05T15:15:33.877Z) into the minute starting 15:15:00", () => {
    assert.equal(windowStart(1538752533877, 60_000), Date.parse("2018-10-05T15:15:00.000Z"));
  });
  it("a window is [start, start + timeframe): its first ms belongs to it, its end to the next", () => {
    const start = Date.parse("2018-10-05T15:15:00.000Z");
    assert.equal(windowStart(start, 60_000), start);
    assert.equal(windowStart(start + 59_999, 60_000), start);
    assert.equal(windowStart(start + 60_000, 60_000), start + 60_000);
  });
  it("aligns 5-minute windows to :00, :05, ... whatever the first event", () => {
    assert.equal(windowStart(Date.parse("2024-03-01T10:07:59.999Z"), 300_000), Date.parse("2024-03-01T10:05:00.000Z"));
  });
  it("rejects a timeframe that is not a positive integer", () => {
    assert.throws(() => windowStart(1, 0), RangeError);
    assert.throws(() => windowStart(1, 1.5), RangeError);
  });
});

describe("groupKey (same_field grouping)", () => {
  const fields: Record<string, string> = { "docker.Actor.Attributes.name": "apache", "agent.id": "001" };
  const valueOf = (path: string) => fields[path];
  it("is the values in the rule's order, as a JSON array", () => {
    assert.equal(groupKey(["agent.id", "docker.Actor.Attributes.name"], valueOf), '["001","apache"]');
  });
  it("is undefined when a field is missing: the event takes no part, as in Wazuh", () => {
    assert.equal(groupKey(["docker.Actor.Attributes.name", "docker.Actor.Attributes.image"], valueOf), undefined);
  });
  it("no fields = one group for the rule", () => {
    assert.equal(groupKey([], valueOf), "[]");
  });
  it("does not confuse values that contain the separator", () => {
    const a = groupKey(["x", "y"], (p) => ({ x: "a,b", y: "c" })[p]);
    const b = groupKey(["x", "y"], (p) => ({ x: "a", y: "b,c" })[p]);
    assert.notEqual(a, b);
  });
});

describe("correlationId", () => {
  const start = Date.parse("2018-10-05T15:15:00.000Z");
  it("has the alert id shape: window start in epoch seconds, a dot, a number", () => {
    assert.match(correlationId("87930", '["apache"]', start), /^1538752500\.\d+$/);
  });
  it("is a pure function of (rule, group, window start)", () => {
    const id = correlationId("87930", '["apache"]', start);
    assert.equal(correlationId("87930", '["apache"]', start), id);
    assert.notEqual(correlationId("87931", '["apache"]', start), id);
    assert.notEqual(correlationId("87930", '["nginx"]', start), id);
    assert.notEqual(correlationId("87930", '["apache"]', start + 60_000), id);
  });
});

describe("windowKeys", () => {
  it("puts both keys of a window under one hash tag, with the prefix first", () => {
    const k = windowKeys("dw:", "87930", '["apache"]', 1538752500000);
    assert.ok(k.events.startsWith("dw:corr:{") && k.fired.startsWith("dw:corr:{"));
    const tag = (key: string) => /\{([^}]*)\}/.exec(key)![1];
    assert.equal(tag(k.events), tag(k.fired));
    assert.notEqual(k.events, k.fired);
  });
  it("keeps braces of user data out of the key (they would change the Cluster slot)", () => {
    const k = windowKeys("dw:", "87930", '["{evil}"]', 0);
    assert.equal(k.events.split("{").length, 2);
  });
  it("differs per rule, group and window", () => {
    const base = windowKeys("p:", "1", "g", 0).events;
    assert.notEqual(windowKeys("p:", "2", "g", 0).events, base);
    assert.notEqual(windowKeys("p:", "1", "h", 0).events, base);
    assert.notEqual(windowKeys("p:", "1", "g", 60_000).events, base);
  });
});

type DecodedOverrides = Partial<Omit<DecodedEvent, "docker">> & { docker?: Partial<DecodedEvent["docker"]> };
const decoded = (over: DecodedOverrides = {}): DecodedEvent => {
  const { docker, ...rest } = over;
  return {
    kind: "engine",
    agent: { id: "000", name: "manager", ip: "10.0.0.1" },
    engine: { id: "ENGINE", hostname: "h1", version: "20.10.24", apiVersion: "1.41" },
    docker: {
      ...(seed.document.data.docker as unknown as DecodedEvent["docker"]),
      scope: "local",
      timeNano: seedNano,
      ...docker,
    },
    fullLog: seed.document.full_log,
    timestamp: "2018-10-05T15:15:33.877Z",
    event: { action: "start", type: [], category: [] },
    container: null,
    exec: null,
    inspect: null,
    host: { name: "manager", hostname: "h1", ip: "10.0.0.1" },
    message: null,
    receivedAtNano: 0n,
    truncated: false,
    ...rest,
  };
};

describe("eventTimeMs and sourceEventId", () => {
  it("reads the exact timeNano of the seed's event as ms", () => {
    assert.equal(seedNano, "1538752533877226210");
    assert.equal(eventTimeMs(decoded()), 1538752533877);
  });
  it("gives the same id to a redelivery and a different one to any other event", () => {
    const id = sourceEventId(decoded());
    assert.equal(sourceEventId(decoded()), id);
    assert.notEqual(sourceEventId(decoded({ docker: { timeNano: "1538752533877226211" } })), id);
    assert.notEqual(sourceEventId(decoded({ docker: { Action: "die" } })), id);
    assert.notEqual(sourceEventId(decoded({ agent: { id: "001", name: "manager", ip: "10.0.0.1" } })), id);
  });
});

describe("heartbeats", () => {
  const heartbeat = decoded({
    kind: "status",
    agent: { id: "007", name: "web-01", ip: "10.0.0.7" },
    docker: { Type: "dockwatch", Action: "heartbeat", Actor: { ID: "ENGINE", Attributes: { agent: "web-01", engine: "h1" } } },
  });
  it("every collector status (heartbeat, connected, lost) proves its agent alive; engine events do not", () => {
    assert.equal(isCollectorStatus(heartbeat), true);
    assert.equal(isCollectorStatus({ ...heartbeat, docker: { ...heartbeat.docker, Action: "lost" } }), true);
    assert.equal(isCollectorStatus({ ...heartbeat, docker: { ...heartbeat.docker, Action: "gap" } }), false);
    assert.equal(isCollectorStatus(decoded()), false);
  });
  it("heartbeatOf takes the agent id, the event's own time and a snapshot to name the host later", () => {
    const hb = heartbeatOf(heartbeat, 42)!;
    assert.equal(hb.agentId, "007");
    assert.equal(hb.eventTimeMs, 1538752533877);
    assert.equal(hb.nowMs, 42);
    assert.equal(hb.eventId, sourceEventId(heartbeat));
    assert.deepEqual(hb.snapshot?.agent, { id: "007", name: "web-01", ip: "10.0.0.7" });
    assert.equal(heartbeatOf(decoded(), 42), undefined);
  });
});

describe("hostAlertEvent", () => {
  const snapshot = {
    agent: { id: "007", name: "web-01", ip: "10.0.0.7" },
    engine: { id: "ENGINE", hostname: "h1", version: "20.10.24", apiVersion: "1.41" },
    host: { name: "web-01", hostname: "h1", ip: "10.0.0.7" },
  };
  const lastSeenMs = Date.parse("2024-03-01T10:00:00.000Z");
  const silent: HostTransition = { agentId: "007", state: "silent", atMs: lastSeenMs + 120_000, lastSeenMs, snapshot };

  it("is a dockwatch status event with action host_silent at the transition's time", () => {
    const e = hostAlertEvent(silent);
    assert.equal(e.kind, "status");
    assert.equal(e.docker.Type, "dockwatch");
    assert.equal(e.docker.Action, "host_silent");
    assert.equal(e.docker.timeNano, "1709287320000000000");
    assert.equal(e.docker.time, "1709287320");
    assert.deepEqual(e.docker.Actor, { ID: "007", Attributes: { agent: "web-01", engine: "h1", lastSeen: "2024-03-01T10:00:00.000Z", silentFor: "2m" } });
    assert.deepEqual(e.agent, snapshot.agent);
    assert.match(e.message!, /since 2024-03-01T10:00:00.000Z/);
  });
  it("full_log is the seed's shape: Python json.dumps of the event, digits verbatim", () => {
    assert.equal(
      hostAlertEvent(silent).fullLog,
      '{"integration": "docker", "docker": {"Type": "dockwatch", "Action": "host_silent", "Actor": {"ID": "007", "Attributes": {"agent": "web-01", "engine": "h1", "lastSeen": "2024-03-01T10:00:00.000Z", "silentFor": "2m"}}, "scope": "local", "time": 1709287320, "timeNano": 1709287320000000000}}',
    );
  });
  it("a returned host says how long it was away; without a snapshot the agent id names it", () => {
    const e = hostAlertEvent({ agentId: "008", state: "returned", atMs: lastSeenMs + 3_725_000, lastSeenMs, snapshot: null });
    assert.equal(e.docker.Action, "host_returned");
    assert.equal(e.docker.Actor.Attributes.silentFor, "1h2m5s");
    assert.equal(e.agent.name, "008");
  });
});

describe("the host event's full_log JSON and formatDuration", () => {
  it("matches Python's json.dumps (output of python3 3.11, pasted)", () => {
    const value = { Type: "dockwatch", Action: "host_silent", Actor: { ID: "a1", Attributes: { agent: "wörker-01", n: 'x\ny"z' } }, list: [1, true, null], time: 1538752533 };
    assert.equal(
      pythonJsonDumps(value),
      '{"Type": "dockwatch", "Action": "host_silent", "Actor": {"ID": "a1", "Attributes": {"agent": "w\\u00f6rker-01", "n": "x\\ny\\"z"}}, "list": [1, true, null], "time": 1538752533}',
    );
  });
  it("writes durations as 2m, 1h2m5s, 0s", () => {
    assert.equal(formatDuration(120_000), "2m");
    assert.equal(formatDuration(3_725_000), "1h2m5s");
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(90_061_000), "1d1h1m1s");
  });
});

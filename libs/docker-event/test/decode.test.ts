import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seedAlerts } from "@dockwatch/test-helpers";
import { parse } from "lossless-json";
import { DecodeError, decodeEvent, pythonJsonDumps } from "../src/index.js";
import { agent, containerLine, engine, rawFromEngineLine } from "../src/testing.js";

describe("decodeEvent on the seed's four events", () => {
  for (const seed of seedAlerts()) {
    it(`docker ${seed.action} apache gives the seed's data.docker and full_log`, () => {
      const decoded = decodeEvent(rawFromEngineLine(seed.engineEventText));
      const expected = { ...seed.document.data.docker };
      // The seed's timeNano went through a float ("...240.000000"); ours keeps the engine's digits.
      const exactNano = /"timeNano": (\d+)/.exec(seed.engineEventText)![1]!;
      expected.timeNano = exactNano;
      assert.deepEqual({ ...decoded.docker, scope: undefined }, { ...expected, scope: undefined });
      assert.equal(decoded.docker.timeNano, exactNano);
      assert.equal(decoded.fullLog, seed.document.full_log, "full_log is the seed's, byte for byte");
      assert.equal(decoded.container?.name, "apache");
      assert.equal(decoded.container?.imageName, "httpd");
      assert.equal(decoded.event.action, seed.action);
    });
  }
});

describe("decodeEvent on a newer engine (API >= 1.52, no status/id/from)", () => {
  // Written by hand from the Engine API 1.52 EventMessage definition: the
  // deprecated status, id and from fields are gone.
  const line = '{"Type":"container","Action":"start","Actor":{"ID":"abc123","Attributes":{"image":"dockwatch/busybox:1.35.0","name":"web"}},"scope":"local","time":1764330000,"timeNano":1764330000123456789}';

  it("fills status, id and from from Action, Actor.ID and the image", () => {
    const d = decodeEvent(rawFromEngineLine(line)).docker;
    assert.equal(d.status, "start");
    assert.equal(d.id, "abc123");
    assert.equal(d.from, "dockwatch/busybox:1.35.0");
    assert.equal(d.timeNano, "1764330000123456789");
    assert.equal(d.time, "1764330000");
  });

  it("keeps full_log as the engine sent it (no filled fields), digits verbatim", () => {
    const full = decodeEvent(rawFromEngineLine(line)).fullLog;
    assert.equal(
      full,
      '{"integration": "docker", "docker": {"Type": "container", "Action": "start", "Actor": {"ID": "abc123", "Attributes": {"image": "dockwatch/busybox:1.35.0", "name": "web"}}, "scope": "local", "time": 1764330000, "timeNano": 1764330000123456789}}',
    );
  });
});

describe("decodeEvent on collector records", () => {
  it("turns a status record into a dockwatch event with its message", () => {
    const d = decodeEvent({
      kind: "status",
      agent,
      engine,
      receivedAtNano: 1764330000000000000n,
      event: null,
      raw: null,
      status: { state: "connected", message: "Connected to Docker service" },
      gap: null,
      inspect: null,
      execInspect: null,
      container: null,
      truncated: false,
    });
    assert.equal(d.docker.Type, "dockwatch");
    assert.equal(d.docker.Action, "connected");
    assert.equal(d.message, "Connected to Docker service");
    assert.equal(d.timestamp, "2025-11-28T11:40:00.000Z");
  });

  it("rejects an engine record without its event", () => {
    assert.throws(
      () => decodeEvent({ kind: "engine", agent, engine, receivedAtNano: 1n, event: null, raw: null, status: null, gap: null, inspect: null, execInspect: null, container: null, truncated: false }),
      DecodeError,
    );
  });
});

describe("pythonJsonDumps", () => {
  it("uses Python's separators and escapes non-ASCII like json.dumps", () => {
    assert.equal(pythonJsonDumps(parse('{"a":[1,2],"b":"é","c":null,"d":true}')), '{"a": [1, 2], "b": "\\u00e9", "c": null, "d": true}');
  });
});

describe("splitExec", () => {
  it("splits an exec action into action, command and arguments", async () => {
    const { splitExec } = await import("../src/index.js");
    assert.deepEqual(splitExec("exec_start: sh -c ls -la"), { action: "exec_start", command: "sh", args: ["-c", "ls", "-la"] });
    assert.deepEqual(splitExec("exec_die"), { action: "exec_die", command: "", args: [] });
    assert.equal(splitExec("start"), null);
  });
});

describe("exec facts (the collector's exec inspect and the container's inspect)", () => {
  const facts = (over: Record<string, unknown> = {}) => ({
    privileged: false, capAdd: [], mounts: [], networkMode: null, pidMode: null, ipcMode: null, utsMode: null,
    user: "", seccompProfile: null, apparmorProfile: null, restartPolicy: null, image: null, imageId: null, healthcheck: null, ...over,
  });
  const exec = (over: Record<string, unknown> = {}) => ({ id: "e1", user: "", privileged: false, tty: false, entrypoint: "sh", arguments: ["-c", "ls"], ...over });
  const line = { action: "exec_start", command: "sh", args: ["-c", "ls"] };

  it("the effective user is the exec's own (docker exec -u), else the container's configured user; empty is root", async () => {
    const { execFacts } = await import("../src/index.js");
    assert.deepEqual(
      [execFacts(line, exec({ user: "1000" }), facts({ user: "" })).effectiveUser, execFacts(line, exec({ user: "1000" }), facts()).root],
      ["1000", false],
    );
    const byContainer = execFacts(line, exec(), facts({ user: "nobody" }));
    assert.deepEqual([byContainer.user, byContainer.effectiveUser, byContainer.root], [null, "nobody", false]);
    const imageDefault = execFacts(line, exec(), facts({ user: "" }));
    assert.deepEqual([imageDefault.effectiveUser, imageDefault.root], ["", true]);
    assert.equal(execFacts(line, exec({ user: "0:0" }), facts({ user: "app" })).root, true);
    assert.deepEqual(execFacts(line, exec({ privileged: true, tty: true }), null).privileged, true);
    const unknown = execFacts(line, null, null);
    assert.deepEqual([unknown.effectiveUser, unknown.root, unknown.privileged, unknown.healthcheck], [null, null, null, false]);
  });

  it("the healthcheck: CMD-SHELL c runs as /bin/sh -c c, CMD a b as a b", async () => {
    const { execFacts } = await import("../src/index.js");
    const shell = facts({ healthcheck: ["CMD-SHELL", "wget -q -O- http://localhost/ || exit 1"] });
    assert.equal(execFacts(line, exec({ entrypoint: "/bin/sh", arguments: ["-c", "wget -q -O- http://localhost/ || exit 1"] }), shell).healthcheck, true);
    assert.equal(execFacts(line, exec({ entrypoint: "/bin/sh", arguments: ["-c", "wget -q http://localhost/"] }), shell).healthcheck, false);
    const cmd = facts({ healthcheck: ["CMD", "pg_isready", "-U", "postgres"] });
    assert.equal(execFacts(line, exec({ entrypoint: "pg_isready", arguments: ["-U", "postgres"] }), cmd).healthcheck, true);
    // Without the exec inspect, the action's command line is compared.
    assert.equal(execFacts({ action: "exec_start", command: "pg_isready", args: ["-U", "postgres"] }, null, cmd).healthcheck, true);
    assert.equal(execFacts(line, exec({ entrypoint: "pg_isready", arguments: ["-U", "postgres"] }), facts({ healthcheck: ["NONE"] })).healthcheck, false);
  });
});

describe("container fields: Compose and Kubernetes identity, the container of a network or volume event", () => {
  it("a Compose container gives its project and service; a kubelet's its namespace, pod and container", () => {
    const compose = decodeEvent(rawFromEngineLine(containerLine("start", { "com.docker.compose.project": "shop", "com.docker.compose.service": "web", "com.docker.compose.version": "1.29.2" })));
    assert.deepEqual(compose.container?.compose, { project: "shop", service: "web" });
    assert.equal(compose.container?.kubernetes, null);
    assert.equal(compose.container?.labels["com.docker.compose.project"], "shop", "the labels themselves stay");
    const pod = decodeEvent(
      rawFromEngineLine(containerLine("start", { "io.kubernetes.pod.namespace": "payments", "io.kubernetes.pod.name": "api-7d4b9-x2x", "io.kubernetes.container.name": "api" })),
    );
    assert.deepEqual(pod.container?.kubernetes, { namespace: "payments", pod: "api-7d4b9-x2x", container: "api" });
    assert.equal(pod.container?.compose, null);
    const plain = decodeEvent(rawFromEngineLine(containerLine("start")));
    assert.deepEqual([plain.container?.compose, plain.container?.kubernetes], [null, null]);
  });

  const connect = '{"Type":"network","Action":"connect","Actor":{"ID":"net1","Attributes":{"container":"c9f42f363d26aa","name":"bridge","type":"bridge"}},"scope":"local","time":1795873684,"timeNano":1795873684909518378}';

  it("a network connect names its container from the collector's inventory", () => {
    const decoded = decodeEvent({ ...rawFromEngineLine(connect), container: { id: "c9f42f363d26aa", name: "web" } });
    assert.deepEqual(decoded.container, { id: "c9f42f363d26aa", name: "web", imageName: null, labels: {}, compose: null, kubernetes: null });
  });

  it("an unknown container (or an older collector's record) is named by its id", () => {
    assert.equal(decodeEvent(rawFromEngineLine(connect)).container?.name, "c9f42f363d26aa");
    assert.equal(decodeEvent({ ...rawFromEngineLine(connect), container: { id: "c9f42f363d26aa", name: null } }).container?.name, "c9f42f363d26aa");
  });

  it("an image event concerns no container", () => {
    const pull = '{"Type":"image","Action":"pull","Actor":{"ID":"busybox:latest","Attributes":{"name":"busybox"}},"scope":"local","time":1795873684,"timeNano":1795873684909518378}';
    assert.equal(decodeEvent(rawFromEngineLine(pull)).container, null);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack, type AlertDoc, type TestStack } from "./stack.js";

// Behaviours beyond the seed, on the real stack: real containers, volumes and
// networks on the local engine, each giving the rule the shipped ruleset
// (libs/rule-engine/ruleset/*.yml) says, exactly once per source event. The
// expected ids, levels and descriptions are copied from those files.

interface Expectation {
  what: string;
  /** A known defect elsewhere: reported as todo (the run stays green) until it is fixed. */
  todo?: string;
  /** Key of the actor (container, volume, network) in `ids`. */
  actor: string;
  action: string;
  rule: string;
  level: number;
  description: string | RegExp;
}

/** An engine that may not run privileged containers (a sandbox without the capabilities): the engine's own words. */
const CANNOT_APPLY_CAPS = /unable to apply caps: operation not permitted/;

describe("behaviours end to end: exec, kill, die, rename, privileged, docker socket, volume, network", () => {
  const run = unique("bhv");
  const name = (what: string) => `${run}-${what}`;
  const image = busyboxImage();
  /** Actor ids of what the test created, by key. */
  const ids = new Map<string, string>();
  let privilegedRefused: string | undefined;
  /** How many events the engine itself reported, where that is not one (dockerd 20.10 reports a network disconnect twice). */
  const engineCounts = new Map<string, number>();
  let stack: TestStack;
  let docs: AlertDoc[] = [];

  // Each event gives Wazuh 4.14's alert (87900-87958) and, beside it, one
  // alert per dockwatch detection (130900-130999) it triggers.
  const expectations: Expectation[] = [
    {
      what: "a shell in a container with no configured user (root): Wazuh's command alert",
      actor: "root-shell",
      action: "exec_start: sh -c ls",
      rule: "87907",
      level: 3,
      description: `Command launched in container ${name("root-shell")}: "exec_start: sh -c ls"`,
    },
    {
      what: "a shell in a container with no configured user (root)",
      actor: "root-shell",
      action: "exec_start: sh -c ls",
      rule: "130952",
      level: 6,
      description: `Root shell started in container ${name("root-shell")}: "exec_start: sh -c ls"`,
    },
    {
      what: "a shell in a container running as root by name",
      actor: "named-root-shell",
      action: "exec_start: sh -c ls",
      rule: "130952",
      level: 6,
      description: `Root shell started in container ${name("named-root-shell")}: "exec_start: sh -c ls"`,
    },
    {
      what: "a shell in a container running as uid 1000: Wazuh's command alert",
      actor: "user-shell",
      action: "exec_start: sh -c ls",
      rule: "87907",
      level: 3,
      description: `Command launched in container ${name("user-shell")}: "exec_start: sh -c ls"`,
    },
    {
      what: "a shell in a container running as uid 1000 (a shell Wazuh's 87908 does not know)",
      actor: "user-shell",
      action: "exec_start: sh -c ls",
      rule: "130908",
      level: 5,
      description: `Shell started in container ${name("user-shell")}: "exec_start: sh -c ls"`,
    },
    { what: "docker kill", actor: "killed", action: "kill", rule: "87924", level: 7, description: `Container ${name("killed")} received the action: kill` },
    { what: "the death by that kill (Wazuh: kill|die)", actor: "killed", action: "die", rule: "87924", level: 7, description: `Container ${name("killed")} received the action: die` },
    { what: "a process exiting with 3", actor: "crashed", action: "die", rule: "87924", level: 7, description: `Container ${name("crashed")} received the action: die` },
    {
      what: "docker rename",
      actor: "renamed",
      action: "rename",
      rule: "87935",
      level: 3,
      description: new RegExp(`^Container renamed from /?${name("before")} to ${name("renamed")}$`),
    },
    { what: "a privileged container: Wazuh's start alert", actor: "privileged", action: "start", rule: "87903", level: 3, description: `Container ${name("privileged")} started` },
    { what: "a privileged container", actor: "privileged", action: "start", rule: "130960", level: 10, description: `Privileged container ${name("privileged")} (start)` },
    { what: "a privileged container, at create", actor: "privileged", action: "create", rule: "130960", level: 10, description: `Privileged container ${name("privileged")} (create)` },
    {
      what: "a container with the Docker socket mounted",
      actor: "socket",
      action: "start",
      rule: "130961",
      level: 10,
      description: `Container ${name("socket")} with the Docker socket mounted (start)`,
    },
    {
      what: "a container with SYS_ADMIN added",
      actor: "sys-admin",
      action: "start",
      rule: "130966",
      level: 8,
      description: `Container ${name("sys-admin")} with dangerous capabilities (start): CAP_SYS_ADMIN`, // the engine stores CapAdd with the CAP_ prefix
    },
    { what: "docker volume create", actor: "volume", action: "create", rule: "87913", level: 3, description: `Volume ${name("volume")} created (driver local)` },
    { what: "docker volume rm", actor: "volume", action: "destroy", rule: "87914", level: 7, description: `Volume ${name("volume")} destroyed (driver local)` },
    { what: "docker network create", actor: "network", action: "create", rule: "87930", level: 3, description: `Network ${name("network")} created` },
    { what: "docker network rm", actor: "network", action: "destroy", rule: "87931", level: 5, description: `Network ${name("network")} destroyed` },
    {
      what: "docker network connect, naming the container from the collector's inventory",
      actor: "network2",
      action: "connect",
      rule: "87928",
      level: 3,
      description: `Container ${name("member")} connected to network ${name("network2")}`,
    },
    {
      what: "docker network disconnect, naming the container",
      actor: "network2",
      action: "disconnect",
      rule: "87929",
      level: 4,
      description: `Container ${name("member")} disconnected from network ${name("network2")}`,
    },
    { what: "a privileged container created but never started", actor: "privileged-created", action: "create", rule: "130960", level: 10, description: `Privileged container ${name("privileged-created")} (create)` },
    {
      what: "docker exec -u 0 into a container configured to run as uid 1000",
      actor: "exec-root",
      action: "exec_start: sh -c id",
      rule: "130952",
      level: 6,
      description: `Root shell started in container ${name("exec-root")}: "exec_start: sh -c id"`,
    },
    {
      what: "docker exec --privileged (the engine here refuses to run it, but reports it)",
      actor: "exec-privileged",
      action: "exec_start: sh -c id",
      rule: "130953",
      level: 8,
      description: `Privileged command launched in container ${name("exec-privileged")}: "exec_start: sh -c id"`,
    },
    {
      what: "a container with a 1-second healthcheck turning healthy",
      actor: "health",
      action: "health_status: healthy",
      rule: "130956",
      level: 3,
      description: `Container ${name("health")} health status: health_status: healthy`,
    },
    {
      what: "a person's command in that container, after its probes",
      actor: "health",
      action: "exec_start: sh -c echo after-probes",
      rule: "87907",
      level: 3,
      description: `Command launched in container ${name("health")}: "exec_start: sh -c echo after-probes"`,
    },
  ];
  /** Every rule the exec_start of each exec scenario gives, and nothing else (from the rule files: 87907 for any command, 130908 for a shell Wazuh's bare-shell 87908 misses, 130952 when the effective user is root, 130953 when privileged). */
  const execRuleSets: Record<string, string[]> = {
    "exec-root": ["87907", "130908", "130952"],
    "exec-uid": ["87907", "130908"],
    "exec-privileged": ["87907", "130908", "130952", "130953"],
  };
  const applicable = (e: Expectation) => ids.has(e.actor);
  const matching = (e: Expectation) =>
    docs.filter((d) => d.data.docker.Actor.ID === ids.get(e.actor) && d.data.docker.Action === e.action && d.rule.id === e.rule);

  before(async () => {
    stack = await startStack({ run });
    ids.set("root-shell", await docker("run", "-d", "--name", name("root-shell"), image, "sleep", "300"));
    await docker("exec", name("root-shell"), "sh", "-c", "ls");
    ids.set("named-root-shell", await docker("run", "-d", "--user", "root", "--name", name("named-root-shell"), image, "sleep", "300"));
    await docker("exec", name("named-root-shell"), "sh", "-c", "ls");
    ids.set("user-shell", await docker("run", "-d", "--user", "1000:1000", "--name", name("user-shell"), image, "sleep", "300"));
    await docker("exec", name("user-shell"), "sh", "-c", "ls");
    // docker kill sends SIGKILL (9).
    ids.set("killed", await docker("run", "-d", "--name", name("killed"), image, "sleep", "300"));
    await docker("kill", name("killed"));
    // Exits with 3 on its own (docker run then fails with that code).
    await docker("run", "--name", name("crashed"), image, "sh", "-c", "exit 3").catch(() => undefined);
    ids.set("crashed", await docker("inspect", "--format", "{{.Id}}", name("crashed")));
    ids.set("renamed", await docker("create", "--name", name("before"), image, "sleep", "1"));
    await docker("rename", name("before"), name("renamed"));
    try {
      ids.set("privileged", await docker("run", "-d", "--privileged", "--name", name("privileged"), image, "sleep", "300"));
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      if (!CANNOT_APPLY_CAPS.test(stderr)) throw err;
      privilegedRefused = stderr.trim().split("\n")[0];
    }
    ids.set("socket", await docker("run", "-d", "-v", "/var/run/docker.sock:/var/run/docker.sock", "--name", name("socket"), image, "sleep", "300"));
    ids.set("sys-admin", await docker("run", "-d", "--cap-add", "SYS_ADMIN", "--name", name("sys-admin"), image, "sleep", "300"));
    // A volume's actor id is its name; a network's is the id the engine gives it.
    ids.set("volume", await docker("volume", "create", name("volume")));
    await docker("volume", "rm", name("volume"));
    ids.set("network", await docker("network", "create", name("network")));
    await docker("network", "rm", name("network"));
    ids.set("member", await docker("run", "-d", "--name", name("member"), image, "sleep", "300"));
    ids.set("network2", await docker("network", "create", name("network2")));
    const beforeConnect = Math.floor(Date.now() / 1000) - 1;
    await docker("network", "connect", name("network2"), name("member"));
    await docker("network", "disconnect", name("network2"), name("member"));
    const disconnects = await docker("events", "--since", String(beforeConnect), "--until", String(Math.ceil(Date.now() / 1000) + 1), "--filter", `network=${ids.get("network2")}`, "--filter", "event=disconnect", "--format", "{{.Action}}");
    engineCounts.set("network2 disconnect", disconnects.split("\n").filter(Boolean).length);
    // runc here may refuse privileged containers at start; create alone always works.
    ids.set("privileged-created", await docker("create", "--privileged", "--name", name("privileged-created"), image, "sleep", "300"));
    // Who runs an exec: the exec's own user (-u) over the container's; --privileged from the exec's inspect.
    ids.set("exec-root", await docker("run", "-d", "--user", "1000:1000", "--name", name("exec-root"), image, "sleep", "300"));
    await docker("exec", "-u", "0", name("exec-root"), "sh", "-c", "id");
    ids.set("exec-uid", await docker("run", "-d", "--name", name("exec-uid"), image, "sleep", "300"));
    await docker("exec", "-u", "1000", name("exec-uid"), "sh", "-c", "id");
    ids.set("exec-privileged", await docker("run", "-d", "--name", name("exec-privileged"), image, "sleep", "300"));
    // The engine reports exec_create/exec_start even when runc cannot apply the capabilities here (exit 126).
    await docker("exec", "--privileged", name("exec-privileged"), "sh", "-c", "id").catch(() => undefined);
    // A 1-second healthcheck: let it probe a few times, then a person's command. Events of one container
    // share a partition, so once that command's alert is in, every probe before it went through the rules.
    ids.set("health", await docker("run", "-d", "--health-cmd", "true", "--health-interval", "1s", "--name", name("health"), image, "sleep", "300"));
    await waitFor("five healthcheck probes", async () => Number(await docker("inspect", "--format", "{{len .State.Health.Log}}", name("health"))) >= 5, 60_000, 500);
    await docker("exec", name("health"), "sh", "-c", "echo after-probes");

    const actors = [...ids.values()];
    const fetchDocs = async () => (docs = (await stack.alertsWhere("data.docker.Actor.ID", actors)).map((h) => h.doc));
    // Everything arrives, or each test below says what is missing.
    await waitFor(
      "an alert for every expected event",
      async () => {
        await fetchDocs();
        return expectations.filter(applicable).every((e) => matching(e).length > 0);
      },
      120_000,
      1000,
    ).catch(() => undefined);
    await fetchDocs().catch(() => undefined);
  });

  after(async () => {
    for (const what of ["before", "root-shell", "named-root-shell", "user-shell", "killed", "crashed", "renamed", "privileged", "socket", "sys-admin", "member", "privileged-created", "exec-root", "exec-uid", "exec-privileged", "health"]) {
      await docker("rm", "-f", name(what)).catch(() => undefined);
    }
    await docker("volume", "rm", "-f", name("volume")).catch(() => undefined);
    await docker("network", "rm", name("network")).catch(() => undefined);
    await docker("network", "rm", name("network2")).catch(() => undefined);
    await stack?.stop();
  });

  for (const e of expectations) {
    it(`${e.what}: ${e.rule}, level ${e.level}, once per engine event`, e.todo ? { todo: e.todo } : {}, (t) => {
      if (e.actor === "privileged" && privilegedRefused) {
        t.skip(`this engine cannot start a privileged container here: ${privilegedRefused}`);
        return;
      }
      const got = matching(e);
      const all = docs.filter((d) => d.data.docker.Actor.ID === ids.get(e.actor) && d.data.docker.Action === e.action).map((d) => d.rule.id);
      const events = engineCounts.get(`${e.actor} ${e.action}`) ?? 1;
      assert.equal(got.length, events, `${events} alert(s) of ${e.rule} for ${e.action} of ${e.actor}, got ${all.join(", ") || "none"}\n${got.length ? "" : stack.tail()}`);
      assert.equal(new Set(got.map((d) => d.data.docker.timeNano)).size, events, "one per engine event");
      const [alert] = got;
      assert.equal(alert!.rule.id, e.rule, alert!.rule.description);
      assert.equal(alert!.rule.level, e.level);
      if (typeof e.description === "string") assert.equal(alert!.rule.description, e.description);
      else assert.match(alert!.rule.description, e.description);
    });
  }

  for (const [actor, expected] of Object.entries(execRuleSets)) {
    it(`${actor}: its exec_start gives exactly ${expected.join(", ")}`, () => {
      const got = docs.filter((d) => d.data.docker.Actor.ID === ids.get(actor) && d.data.docker.Action === "exec_start: sh -c id").map((d) => d.rule.id);
      assert.deepEqual(got.sort(), [...expected].sort());
    });
  }

  it("the healthcheck probes raise no alert of level 3 or more (130909 ends their chain at level 0)", () => {
    const probes = docs.filter((d) => d.data.docker.Actor.ID === ids.get("health") && d.data.docker.Action.includes("/bin/sh -c true"));
    assert.deepEqual(
      probes.map((d) => `${d.rule.id} ${d.data.docker.Action}`),
      [],
    );
    const fromHealth = docs.filter((d) => d.data.docker.Actor.ID === ids.get("health")).map((d) => `${d.rule.id} ${d.data.docker.Action}`);
    assert.ok(fromHealth.some((a) => a.startsWith("87903 start")), `the container's own alerts still arrive: ${fromHealth.join("; ")}`);
  });
});

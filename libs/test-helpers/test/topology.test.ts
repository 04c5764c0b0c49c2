// infra/local (bash), docker-compose.yml and the Dockerfile cannot import
// libs/contracts/src/topology.ts, so they spell the topology again: topic
// names, partitions and compaction, health ports, and (where they set them)
// consumer groups, topic variables and the index prefix. This test reads them
// and fails on any disagreement with topology.ts. compose's kafka-init script
// is not parsed but run, by bash, with a stand-in kafka-topics.sh that records
// its arguments: whatever shape the script takes (loops, variables), what it
// would create is what is checked. Durability (replication factor and
// min.insync.replicas) is checked the same way: infra/local prints the topics
// it creates for a number of brokers (`infra/local topics`), compose's Kafka
// is one broker.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { GROUPS, HEALTH_PORTS, INDEX_PREFIX, SINGLE_BROKER_DURABILITY, TOPIC_SPECS, TOPICS, durabilityFor, type Durability } from "@dockwatch/contracts";
import { parseDocument } from "yaml";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

interface CreatedTopic {
  name: string;
  partitions: number;
  compacted: boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** What topology.ts says infra must create, sorted by name. */
const expectedTopics: CreatedTopic[] = Object.values(TOPIC_SPECS)
  .map(({ name, partitions, compacted }) => ({ name, partitions, compacted }))
  .sort((a, b) => a.name.localeCompare(b.name));

const sorted = <T extends CreatedTopic>(topics: T[]) => [...topics].sort((a, b) => a.name.localeCompare(b.name));

/** A topic as created, with its replication factor and min.insync.replicas. */
type DurableTopic = CreatedTopic & Durability;

/** What topology.ts says a cluster with `durability` must get. */
const expectedDurableTopics = (durability: Durability): DurableTopic[] => expectedTopics.map((t) => ({ ...t, ...durability }));

// ---- infra/local ------------------------------------------------------------

/** The TOPICS=( name:partitions[:config] ... ) array of infra/local, as kafka_topics reads it. */
function infraLocalTopics(script: string): CreatedTopic[] {
  const block = /^TOPICS=\(\n([\s\S]*?)^\)/m.exec(script);
  assert.ok(block, "infra/local has no TOPICS=( ... ) array");
  return block[1]!
    .split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter(Boolean)
    .map((spec) => {
      const [name = "", parts = "", ...config] = spec.split(":");
      return { name, partitions: Number(parts), compacted: config.join(":").split(",").includes("cleanup.policy=compact") };
    });
}

/** What `infra/local topics` prints for KAFKA_NODES=nodes: name partitions replication-factor configs. */
function infraLocalPlan(script: string, nodes: number): DurableTopic[] {
  const dir = mkdtempSync(join(tmpdir(), "topology-test-"));
  try {
    const copy = join(dir, "local");
    writeFileSync(copy, script);
    const out = execFileSync("bash", [copy, "topics"], { env: { ...process.env, KAFKA_NODES: String(nodes), DOCKWATCH_INFRA_STATE: join(dir, "state") }, encoding: "utf8" });
    return out
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [name = "", partitions, replicationFactor, configs = ""] = line.split(" ");
        const config = configs.split(",");
        const minInsync = config.find((c) => c.startsWith("min.insync.replicas="))?.split("=")[1];
        return { name, partitions: Number(partitions), compacted: config.includes("cleanup.policy=compact"), replicationFactor: Number(replicationFactor), minInsyncReplicas: Number(minInsync) };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every broker count infra/local's plan disagrees with durabilityFor, as readable lines. */
function infraLocalDurabilityDisagreements(script: string): string[] {
  return [1, 2, 3, 5].flatMap((nodes) => {
    const plan = sorted(infraLocalPlan(script, nodes));
    const expected = expectedDurableTopics(durabilityFor(nodes));
    return JSON.stringify(plan) === JSON.stringify(expected) ? [] : [`KAFKA_NODES=${nodes}: infra/local topics prints ${JSON.stringify(plan)}, topology.ts says ${JSON.stringify(expected)}`];
  });
}

// ---- docker-compose.yml ------------------------------------------------------

function composeServices(text: string): Record<string, Obj> {
  const doc = parseDocument(text, { merge: true });
  return obj(obj(doc.toJS()).services) as Record<string, Obj>;
}

/** An environment value as compose resolves it with nothing set: ${VAR:-default} -> default, $$ -> $. */
function composeValue(value: unknown): string {
  return String(value ?? "")
    .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, "$1")
    .replace(/\$\$/g, "$");
}

function environment(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => String(e).split("=")).map(([k, ...v]) => [k, composeValue(v.join("="))]));
  return Object.fromEntries(Object.entries(obj(env)).map(([k, v]) => [k, composeValue(v)]));
}

/** Runs kafka-init's script with bash and a recording kafka-topics.sh; returns the topics it creates. */
function composeInitTopics(services: Record<string, Obj>): DurableTopic[] {
  const init = obj(services["kafka-init"]);
  const entrypoint = (Array.isArray(init.entrypoint) ? init.entrypoint : []).map(String);
  const command = (Array.isArray(init.command) ? init.command : [init.command]).map(String);
  assert.deepEqual(entrypoint.slice(0, 1), ["/bin/bash"], "kafka-init runs a bash script");
  const script = command.map(composeValue).join("\n");
  const dir = mkdtempSync(join(tmpdir(), "topology-test-"));
  try {
    const log = join(dir, "calls");
    // kafka-topics.sh records its calls; the tools for the collector's SCRAM user and ACLs only have to exist.
    for (const tool of ["kafka-topics.sh", "kafka-configs.sh", "kafka-acls.sh"]) {
      const stub = join(dir, tool);
      writeFileSync(stub, tool === "kafka-topics.sh" ? `#!/bin/bash\nprintf '%s\\t' "$@" >>"${log}"\nprintf '\\n' >>"${log}"\n` : "#!/bin/bash\n");
      chmodSync(stub, 0o755);
    }
    writeFileSync(log, "");
    mkdirSync(join(dir, "secrets"));
    writeFileSync(join(dir, "secrets", "kafka-collector-password"), "pw\n");
    // The image's tools live in /opt/kafka/bin, compose's secrets in /run/secrets; the stand-ins take their place.
    execFileSync("bash", [...entrypoint.slice(1), script.replaceAll("/opt/kafka/bin/", `${dir}/`).replaceAll("/run/secrets/", `${dir}/secrets/`)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    return readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => line.replace(/\t$/, "").split("\t"))
      .filter((args) => args.includes("--create"))
      .map((args) => {
        const values = (flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ""] : []));
        const configs = values("--config");
        return {
          name: values("--topic")[0] ?? "",
          partitions: Number(values("--partitions")[0]),
          compacted: configs.includes("cleanup.policy=compact"),
          replicationFactor: Number(values("--replication-factor")[0]),
          minInsyncReplicas: Number(configs.find((c) => c.startsWith("min.insync.replicas="))?.split("=")[1]),
        };
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every place compose disagrees with topology.ts, as readable lines. */
function composeDisagreements(services: Record<string, Obj>): string[] {
  const out: string[] = [];
  // compose runs one Kafka broker: one copy, acknowledged by it.
  const created = sorted(composeInitTopics(services));
  const expected = expectedDurableTopics(SINGLE_BROKER_DURABILITY);
  if (JSON.stringify(created) !== JSON.stringify(expected)) {
    out.push(`kafka-init creates ${JSON.stringify(created)}, topology.ts says ${JSON.stringify(expected)}`);
  }
  // Values compose may set; when it does, they must be the topology's defaults.
  const defaults: Record<string, string> = {
    TOPIC_RAW: TOPICS.raw,
    TOPIC_DECODED: TOPICS.decoded,
    TOPIC_ALERTS: TOPICS.alerts,
    TOPIC_DLQ: TOPICS.dlq,
    TOPIC_SCHEMAS: TOPICS.schemas,
    DECODER_CONSUMER_GROUP: GROUPS.decoder,
    RULES_CONSUMER_GROUP: GROUPS.rules,
    SINK_CONSUMER_GROUP: GROUPS.sink,
    SINK_INDEX_PREFIX: INDEX_PREFIX,
    // The services create missing topics (a test's, or after a topic was deleted) as kafka-init does.
    KAFKA_REPLICATION_FACTOR: String(SINGLE_BROKER_DURABILITY.replicationFactor),
    KAFKA_MIN_INSYNC_REPLICAS: String(SINGLE_BROKER_DURABILITY.minInsyncReplicas),
  };
  for (const [name, port] of Object.entries(HEALTH_PORTS)) {
    const env = environment(obj(services[name]));
    if (env.HEALTH_PORT !== String(port)) out.push(`services.${name} HEALTH_PORT is ${JSON.stringify(env.HEALTH_PORT)}, topology.ts says ${port}`);
    for (const [variable, value] of Object.entries(defaults)) {
      if (variable in env && env[variable] !== value) out.push(`services.${name} ${variable} is ${JSON.stringify(env[variable])}, topology.ts says ${value}`);
    }
    // Unset, a service would ask the one broker for 3 copies.
    for (const variable of ["KAFKA_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS"]) {
      if (!(variable in env)) out.push(`services.${name} does not set ${variable} (compose's Kafka is one broker)`);
    }
  }
  return out;
}

// ---- Dockerfile -----------------------------------------------------------------

/** Each service stage's ENV HEALTH_PORT and EXPOSE must be its topology port. */
function dockerfileDisagreements(dockerfile: string): string[] {
  const out: string[] = [];
  for (const [name, port] of Object.entries(HEALTH_PORTS)) {
    const stage = new RegExp(`^FROM\\s+\\S+\\s+AS\\s+svc-${name}\\s*$([\\s\\S]*?)(?=^FROM\\s|(?![\\s\\S]))`, "m").exec(dockerfile)?.[1];
    if (stage === undefined) {
      out.push(`Dockerfile has no stage svc-${name}`);
      continue;
    }
    const env = /^ENV\s+HEALTH_PORT=(\S+)/m.exec(stage)?.[1];
    const exposed = [...stage.matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    if (env !== String(port)) out.push(`Dockerfile svc-${name} ENV HEALTH_PORT=${env ?? "(unset)"}, topology.ts says ${port}`);
    if (exposed.join(" ") !== String(port)) out.push(`Dockerfile svc-${name} EXPOSE ${exposed.join(" ") || "(none)"}, topology.ts says ${port}`);
  }
  return out;
}

// ---- the tests ------------------------------------------------------------------

describe("topology: infra/local, docker-compose.yml and the Dockerfile agree with topology.ts", () => {
  it("infra/local creates the contract's topics with their partitions and compaction", () => {
    assert.deepEqual(sorted(infraLocalTopics(read("infra/local"))), expectedTopics);
  });

  it("infra/local gives its topics the durability topology.ts says for 1, 2, 3 and 5 brokers", () => {
    assert.deepEqual(infraLocalDurabilityDisagreements(read("infra/local")), []);
  });

  it("docker-compose.yml's kafka-init creates the same topics, and the services use the topology's ports and names", () => {
    assert.deepEqual(composeDisagreements(composeServices(read("docker-compose.yml"))), []);
  });

  it("the Dockerfile's service stages set and expose the topology's health ports", () => {
    assert.deepEqual(dockerfileDisagreements(read("Dockerfile")), []);
  });
});

// The checks above must be able to fail: each edited copy is caught.
describe("topology: the agreement checks reject a disagreeing copy", () => {
  const local = read("infra/local");
  const compose = read("docker-compose.yml");
  const dockerfile = read("Dockerfile");
  const edit = (text: string, from: string | RegExp, to: string) => {
    const edited = text.replace(from, to);
    assert.notEqual(edited, text, `the edit ${String(from)} must change the file`);
    return edited;
  };
  const localDiffers = (text: string) => assert.notDeepEqual(sorted(infraLocalTopics(text)), expectedTopics);

  it("infra/local: a renamed topic, other partitions, a lost compaction, a missing topic", () => {
    localDiffers(edit(local, "  alerts:6\n", "  dockwatch.alerts:6\n"));
    localDiffers(edit(local, "  docker.events.raw:6\n", "  docker.events.raw:3\n"));
    localDiffers(edit(local, "dockwatch.schemas:1:cleanup.policy=compact", "dockwatch.schemas:1"));
    localDiffers(edit(local, "  dockwatch.dlq:6\n", ""));
  });

  it("infra/local: another replication factor or min.insync.replicas for some broker count", () => {
    assert.match(infraLocalDurabilityDisagreements(edit(local, "KAFKA_RF=$((KAFKA_NODES < 3 ? KAFKA_NODES : 3))", "KAFKA_RF=1")).join("\n"), /^KAFKA_NODES=2: /);
    assert.match(infraLocalDurabilityDisagreements(edit(local, "KAFKA_MIN_ISR=$((KAFKA_RF > 1 ? KAFKA_RF - 1 : 1))", "KAFKA_MIN_ISR=1")).join("\n"), /^KAFKA_NODES=3: /);
  });

  const composeCases: Array<[string, string | RegExp, string, RegExp]> = [
    ["a renamed topic in the loop", "for topic in docker.events.raw docker.events.decoded alerts", "for topic in docker.events.raw docker.events.decoded dockwatch.alerts", /kafka-init creates/],
    ["other partitions", '--topic "$$topic" --partitions 6', '--topic "$$topic" --partitions 12', /kafka-init creates/],
    ["the schema topic without compaction", " \\\n          --config cleanup.policy=compact", "", /kafka-init creates/],
    ["3 copies on the one broker", "--replication-factor ${KAFKA_REPLICATION_FACTOR:-1}", "--replication-factor ${KAFKA_REPLICATION_FACTOR:-3}", /kafka-init creates/],
    ["no min.insync.replicas", " --config min.insync.replicas=${KAFKA_MIN_INSYNC_REPLICAS:-1}", "", /kafka-init creates/],
    ["services asking for 3 copies", "KAFKA_REPLICATION_FACTOR: ${KAFKA_REPLICATION_FACTOR:-1}", "KAFKA_REPLICATION_FACTOR: ${KAFKA_REPLICATION_FACTOR:-3}", /services\.sink KAFKA_REPLICATION_FACTOR is "3"/],
    ["services without durability", "  KAFKA_MIN_INSYNC_REPLICAS: ${KAFKA_MIN_INSYNC_REPLICAS:-1}\n", "", /services\.decoder does not set KAFKA_MIN_INSYNC_REPLICAS/],
    ["another health port", 'HEALTH_PORT: "9483"', 'HEALTH_PORT: "9493"', /services\.rules HEALTH_PORT is "9493", topology\.ts says 9483/],
    ["another consumer group", 'HEALTH_PORT: "9484"', 'HEALTH_PORT: "9484"\n      SINK_CONSUMER_GROUP: dockwatch-alerts-sink', /services\.sink SINK_CONSUMER_GROUP/],
    ["another index prefix", 'HEALTH_PORT: "9484"', 'HEALTH_PORT: "9484"\n      SINK_INDEX_PREFIX: ${SINK_INDEX_PREFIX:-alerts}', /services\.sink SINK_INDEX_PREFIX is "alerts"/],
  ];
  for (const [what, from, to, expected] of composeCases) {
    it(`docker-compose.yml: ${what}`, () => {
      const problems = composeDisagreements(composeServices(edit(compose, from, to)));
      assert.ok(problems.some((p) => expected.test(p)), `expected a disagreement matching ${expected}, got:\n  ${problems.join("\n  ")}`);
    });
  }

  it("Dockerfile: another ENV HEALTH_PORT or EXPOSE", () => {
    assert.match(dockerfileDisagreements(edit(dockerfile, "ENV HEALTH_PORT=9482", "ENV HEALTH_PORT=9492")).join("\n"), /svc-decoder ENV HEALTH_PORT=9492/);
    assert.match(dockerfileDisagreements(edit(dockerfile, "EXPOSE 9484", "EXPOSE 9494")).join("\n"), /svc-sink EXPOSE 9494/);
  });
});

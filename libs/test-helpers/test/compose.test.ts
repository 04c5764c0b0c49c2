// Checks the repository's docker-compose.yml the way `docker compose` would
// before running anything: YAML with merge keys, variables interpolated with no
// environment set (every variable must then fall back to its default), and the
// result validated against the Compose Specification's JSON schema. On top of
// the schema, the invariants this deployment depends on (README "Deploying for a fleet"):
// the four services build from ./Dockerfile with their SERVICE, the scalable
// ones can be scaled, the collector sees the Docker socket, everything that
// runs has a health check, depends_on conditions can be met, Kafka is a
// single KRaft broker+controller with the topics created.
//
// The schema is the official compose-spec one (compose-spec/compose-spec
// schema/compose-spec.json, the 2025-07-21 revision, with `models`, `include`,
// `depends_on.required`), as shipped by the dclint package.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { TOPICS as TOPIC_NAMES } from "@dockwatch/contracts";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { parseDocument } from "yaml";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const COMPOSE_FILE = join(ROOT, "docker-compose.yml");
const DOCKERFILE = join(ROOT, "Dockerfile");

const DOCKWATCH_SERVICES = ["collector", "decoder", "rules", "sink"] as const;
const SCALABLE = ["decoder", "rules", "sink"] as const;
const TOPICS = Object.values(TOPIC_NAMES);
const DOCKER_SOCKET = "/var/run/docker.sock";

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function obj(value: unknown): Obj {
  return isObj(value) ? value : {};
}

// ---- loading: YAML -> interpolation -> schema --------------------------------

function parseCompose(text: string): unknown {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  const problems = [...doc.errors, ...doc.warnings].map((e) => e.message);
  assert.deepEqual(problems, [], `docker-compose.yml is not clean YAML:\n${problems.join("\n")}`);
  return doc.toJS();
}

// Compose's interpolation: $$ is a literal $, ${VAR:-default} / ${VAR-default}
// fall back, ${VAR:?msg} / ${VAR?msg} are required, ${VAR:+alt} / ${VAR+alt}
// substitute, and ${VAR} or a bare $VAR is the variable's value. Values only,
// never keys.
const INTERPOLATION = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

interface Interpolated {
  value: unknown;
  /** References that have no default, so an unset variable silently becomes "" (or stops compose). */
  undefaulted: string[];
}

function interpolate(value: unknown, env: Record<string, string> = {}): Interpolated {
  const undefaulted: string[] = [];
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === "string") {
      return v.replace(INTERPOLATION, (match, dollar?: string, name?: string, op?: string, arg?: string, bare?: string) => {
        if (dollar) return "$";
        const variable = (name ?? bare) as string;
        const set = env[variable];
        switch (op) {
          case ":-":
            return set ? set : (arg ?? "");
          case "-":
            return set ?? arg ?? "";
          case ":+":
            return set ? (arg ?? "") : "";
          case "+":
            return set !== undefined ? (arg ?? "") : "";
          default: // ${VAR}, $VAR, ${VAR:?msg}, ${VAR?msg}
            if (set === undefined) undefaulted.push(`${path}: ${match}`);
            return set ?? "";
        }
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${path}[${i}]`));
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, walk(item, `${path}.${k}`)]));
    return v;
  };
  return { value: walk(value, ""), undefaulted };
}

let validator: ValidateFunction | undefined;

function composeSchemaValidator(): ValidateFunction {
  if (validator) return validator;
  const require = createRequire(import.meta.url);
  const schemaFile = join(dirname(require.resolve("dclint/package.json")), "schemas", "compose.schema.json");
  const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Obj;
  // Its "$schema" is https://json-schema.org/draft-07/schema, a spelling ajv
  // does not register for draft-07 (it knows http://...#); the body is draft-07.
  delete schema.$schema;
  // strict: false because the spec uses annotations ajv does not know
  // ("deprecated"); allowUnionTypes for its ["string", "number"] types.
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  validator = ajv.compile(schema);
  return validator;
}

function schemaErrors(doc: unknown): ErrorObject[] {
  const validate = composeSchemaValidator();
  return validate(doc) ? [] : [...(validate.errors ?? [])];
}

function formatErrors(errors: ErrorObject[]): string {
  return errors.map((e) => `  ${e.instancePath || "/"} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`).join("\n");
}

// ---- our own invariants ----------------------------------------------------------

/** A service's environment as a map, whichever of the two compose forms it uses. */
function environment(service: Obj): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const [key, ...rest] = String(entry).split("=");
        return [key, rest.join("=")];
      }),
    );
  }
  return Object.fromEntries(Object.entries(obj(env)).map(([k, v]) => [k, v === null || v === undefined ? "" : String(v)]));
}

function buildArgs(build: Obj): Record<string, string> {
  const args = build.args;
  if (Array.isArray(args)) {
    return Object.fromEntries(args.map((a) => String(a).split("=")).map(([k, ...v]) => [k, v.join("=")]));
  }
  return Object.fromEntries(Object.entries(obj(args)).map(([k, v]) => [k, String(v)]));
}

interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

function mounts(service: Obj): Mount[] {
  const volumes = Array.isArray(service.volumes) ? (service.volumes as unknown[]) : [];
  return volumes.map((v) => {
    if (typeof v === "string") {
      const [source = "", target = "", mode = ""] = v.split(":");
      return { source, target, readOnly: mode.split(",").includes("ro") };
    }
    const m = obj(v);
    return { source: String(m.source ?? ""), target: String(m.target ?? ""), readOnly: m.read_only === true };
  });
}

function dependsOn(service: Obj): Record<string, string> {
  const deps = service.depends_on;
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [String(d), "service_started"]));
  return Object.fromEntries(Object.entries(obj(deps)).map(([name, d]) => [name, String(obj(d).condition)]));
}

const isOneShot = (service: Obj) => service.restart === "no";

function hasActiveHealthcheck(service: Obj): boolean {
  const hc = obj(service.healthcheck);
  return hc.disable !== true && hc.test !== undefined && hc.test !== "NONE" && !(Array.isArray(hc.test) && hc.test[0] === "NONE");
}

/** Everything wrong with a (parsed, interpolated) compose document, as readable lines. */
function composeViolations(doc: unknown, dockerfile: string): string[] {
  const out: string[] = [];
  const services = obj(obj(doc).services);
  const topVolumes = obj(obj(doc).volumes);

  for (const name of DOCKWATCH_SERVICES) {
    const service = services[name];
    if (!isObj(service)) {
      out.push(`services.${name} is missing`);
      continue;
    }
    const build = isObj(service.build) ? service.build : undefined;
    if (!build) {
      out.push(`services.${name} must build from the Dockerfile (build: {context: ., args: {SERVICE: ${name}}})`);
      continue;
    }
    if (build.context !== ".") out.push(`services.${name}.build.context must be "." (the repository root), not ${JSON.stringify(build.context)}`);
    if (build.dockerfile !== undefined && build.dockerfile !== "Dockerfile") {
      out.push(`services.${name}.build.dockerfile must be the root Dockerfile, not ${JSON.stringify(build.dockerfile)}`);
    }
    const arg = buildArgs(build).SERVICE;
    if (arg !== name) out.push(`services.${name}.build.args.SERVICE must be "${name}", not ${JSON.stringify(arg)}`);
    // The Dockerfile has to know that SERVICE: a final stage that runs its main.js.
    const stage = new RegExp(`^FROM\\s+\\S+\\s+AS\\s+svc-${name}\\s*$[\\s\\S]*?^CMD \\["node", "services/${name}/dist/main\\.js"\\]`, "m");
    if (!stage.test(dockerfile)) out.push(`Dockerfile has no stage svc-${name} with CMD ["node", "services/${name}/dist/main.js"]`);
  }

  for (const name of SCALABLE) {
    const service = obj(services[name]);
    if ("container_name" in service) out.push(`services.${name} has a container_name, so --scale ${name}=N cannot start a second one`);
    if ("ports" in service) out.push(`services.${name} publishes host ports, so --scale ${name}=N would collide on them`);
  }

  const collector = obj(services.collector);
  const collectorMounts = mounts(collector);
  const socket = collectorMounts.find((m) => m.target === DOCKER_SOCKET);
  if (!socket || socket.source !== DOCKER_SOCKET) out.push(`services.collector must mount ${DOCKER_SOCKET}:${DOCKER_SOCKET}`);
  else if (!socket.readOnly) out.push(`services.collector must mount ${DOCKER_SOCKET} read-only`);
  if (!Array.isArray(collector.group_add) || collector.group_add.length === 0) {
    out.push("services.collector needs group_add with the Docker socket's group (it runs as the non-root user node)");
  }
  const stateDir = environment(collector).COLLECTOR_STATE_DIR;
  const stateMount = collectorMounts.find((m) => m.target === stateDir);
  if (!stateDir || !stateMount) out.push("services.collector must mount a volume at its COLLECTOR_STATE_DIR");
  else if (!(stateMount.source in topVolumes)) out.push(`services.collector state dir is on "${stateMount.source}", not a named volume`);

  for (const [name, value] of Object.entries(services)) {
    const service = obj(value);
    if (!isObj(service.healthcheck)) out.push(`services.${name} has no healthcheck`);
    else if (!hasActiveHealthcheck(service) && !isOneShot(service)) out.push(`services.${name} runs on but its healthcheck is disabled`);
    for (const [dep, condition] of Object.entries(dependsOn(service))) {
      const target = services[dep];
      if (!isObj(target)) out.push(`services.${name} depends on unknown service ${dep}`);
      else if (condition === "service_healthy" && !hasActiveHealthcheck(target)) {
        out.push(`services.${name} waits for ${dep} to be healthy, but ${dep} has no health check`);
      } else if (condition === "service_completed_successfully" && !isOneShot(target)) {
        out.push(`services.${name} waits for ${dep} to complete, but ${dep} restarts (restart: "no" expected)`);
      }
    }
  }

  // Least privilege (issue 14): every dockwatch service runs as a non-root user, read-only, without capabilities or setuid escalation.
  for (const name of DOCKWATCH_SERVICES) {
    const service = obj(services[name]);
    if (service.read_only !== true) out.push(`services.${name} must run with read_only: true`);
    const user = String(service.user ?? "");
    if (!user || /^(root|0)(:|$)/.test(user)) out.push(`services.${name} must run as a non-root user, not ${JSON.stringify(service.user)}`);
    if (!(Array.isArray(service.cap_drop) && service.cap_drop.includes("ALL"))) out.push(`services.${name} must drop every capability (cap_drop: [ALL])`);
    if (!(Array.isArray(service.security_opt) && service.security_opt.some((o) => /^no-new-privileges(:true)?$/.test(String(o))))) {
      out.push(`services.${name} must set security_opt no-new-privileges:true`);
    }
  }

  const kafka = obj(services.kafka);
  const kafkaEnv = environment(kafka);
  // No PLAINTEXT on a published port: every listener whose port is published must be SASL_SSL.
  const protocols = Object.fromEntries(
    (kafkaEnv.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? "").split(",").map((pair) => pair.split(":").map((x) => x.trim()) as [string, string]),
  );
  const listenerPorts = Object.fromEntries(
    (kafkaEnv.KAFKA_LISTENERS ?? "").split(",").map((l) => {
      const [, name = "", port = ""] = /^([A-Z_]+):\/\/[^:]*:(\d+)$/.exec(l.trim()) ?? [];
      return [port, name];
    }),
  );
  for (const published of Array.isArray(kafka.ports) ? kafka.ports.map(String) : []) {
    const containerPort = published.split(":").pop() ?? "";
    const listener = listenerPorts[containerPort];
    if (!listener || protocols[listener] !== "SASL_SSL") {
      out.push(`services.kafka publishes ${published}, listener ${listener ?? "unknown"} is ${protocols[listener ?? ""] ?? "unknown"}: only SASL_SSL may be published`);
    }
  }
  // After bootstrapping, a client goes to the address the broker advertises. On the published
  // listener that must be the published port, the same on the host and in the container (so it
  // is reachable from other hosts and inside this network alike), and the collector's
  // KAFKA_BROKERS (it bootstraps where it then goes: one address for every collector).
  const advertised = Object.fromEntries(
    (kafkaEnv.KAFKA_ADVERTISED_LISTENERS ?? "").split(",").map((l) => {
      const [, name = "", address = ""] = /^([A-Z_]+):\/\/(.*)$/.exec(l.trim()) ?? [];
      return [name, address];
    }),
  );
  const collectorEnv = environment(collector);
  for (const published of Array.isArray(kafka.ports) ? kafka.ports.map(String) : []) {
    const parts = published.split(":");
    const containerPort = parts.pop() ?? "";
    const hostPort = parts.pop() ?? "";
    const listener = listenerPorts[containerPort];
    if (!listener) continue;
    const address = advertised[listener] ?? "";
    if (hostPort !== containerPort || !address.endsWith(`:${containerPort}`)) {
      out.push(`services.kafka publishes ${published}, listener ${listener} listens on ${containerPort} and advertises ${address || "nothing"}: those ports must be one`);
    }
    if (collectorEnv.KAFKA_BROKERS !== address) {
      out.push(`services.collector KAFKA_BROKERS is ${collectorEnv.KAFKA_BROKERS}, not ${address}, the address Kafka advertises on its published listener ${listener}`);
    }
  }
  if (collectorEnv.KAFKA_SSL !== "true" || !collectorEnv.KAFKA_SASL_MECHANISM || !collectorEnv.KAFKA_SASL_PASSWORD_FILE || collectorEnv.KAFKA_SASL_PASSWORD) {
    out.push("services.collector must reach Kafka over TLS with SASL, its password from a file (KAFKA_SASL_PASSWORD_FILE), never inline");
  }
  const roles = (kafkaEnv.KAFKA_PROCESS_ROLES ?? "").split(",").map((r) => r.trim());
  if (!roles.includes("broker") || !roles.includes("controller")) {
    out.push(`services.kafka KAFKA_PROCESS_ROLES must include broker and controller, not ${JSON.stringify(kafkaEnv.KAFKA_PROCESS_ROLES)}`);
  }
  for (const setting of ["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) {
    if (kafkaEnv[setting] !== "1") out.push(`services.kafka ${setting} must be 1 on a single node, not ${JSON.stringify(kafkaEnv[setting])}`);
  }
  if (!String(kafka.image ?? "").startsWith("apache/kafka:")) out.push("services.kafka must run the apache/kafka image");

  const init = obj(services["kafka-init"]);
  const script = [init.entrypoint, init.command].flat().map(String).join("\n");
  for (const topic of TOPICS) {
    if (!script.includes(topic)) out.push(`services.kafka-init does not create topic ${topic}`);
  }
  if (!/--topic dockwatch\.schemas --partitions 1 [^\n]*\\?\s*--config cleanup\.policy=compact/.test(script)) {
    out.push("services.kafka-init must create dockwatch.schemas with 1 partition and cleanup.policy=compact");
  }
  return out;
}

// ---- the tests ----------------------------------------------------------------

function loadRepoCompose(): { raw: unknown; interpolated: Interpolated; dockerfile: string } {
  const raw = parseCompose(readFileSync(COMPOSE_FILE, "utf8"));
  return { raw, interpolated: interpolate(raw), dockerfile: readFileSync(DOCKERFILE, "utf8") };
}

const clone = <T>(value: T): T => structuredClone(value);

describe("docker-compose.yml", () => {
  const { interpolated, dockerfile } = loadRepoCompose();
  const doc = interpolated.value;

  it("conforms to the Compose Specification schema", () => {
    const errors = schemaErrors(doc);
    assert.equal(errors.length, 0, `docker-compose.yml violates the compose-spec schema:\n${formatErrors(errors)}`);
  });

  it("gives every variable a default, so it runs with no .env (and $ in scripts is escaped as $$)", () => {
    assert.deepEqual(interpolated.undefaulted, []);
  });

  it("keeps the stack's invariants", () => {
    const violations = composeViolations(doc, dockerfile);
    assert.deepEqual(violations, [], `docker-compose.yml:\n  ${violations.join("\n  ")}`);
  });

  it("keeps them with KAFKA_EXTERNAL_HOST and KAFKA_EXTERNAL_PORT set (the fleet's central host)", () => {
    const fleet = interpolate(parseCompose(readFileSync(COMPOSE_FILE, "utf8")), { KAFKA_EXTERNAL_HOST: "10.0.0.5", KAFKA_EXTERNAL_PORT: "45000" }).value;
    const violations = composeViolations(fleet, dockerfile);
    assert.deepEqual(violations, [], `docker-compose.yml:\n  ${violations.join("\n  ")}`);
    assert.equal(environment(obj(obj(obj(fleet).services).collector)).KAFKA_BROKERS, "10.0.0.5:45000");
  });

  it("merges the shared x- blocks into the services", () => {
    const services = obj(obj(doc).services);
    for (const name of DOCKWATCH_SERVICES) {
      const service = obj(services[name]);
      assert.equal(service.restart, "unless-stopped", `${name}.restart`);
      assert.equal(environment(service).LOG_LEVEL, "info", `${name} LOG_LEVEL from x-dockwatch-env`);
      assert.ok(!("<<" in service), `${name}: merge key left unmerged`);
    }
    assert.equal(environment(obj(services.collector)).KAFKA_BROKERS, "kafka:9094", "collector's own KAFKA_BROKERS (the SASL_SSL listener) overrides the shared one");
  });
});

// The checks above must be able to fail: each broken copy is rejected.
describe("the compose checks reject a broken file", () => {
  const { interpolated, dockerfile } = loadRepoCompose();
  const good = interpolated.value as Obj;
  const services = (d: Obj) => d.services as Record<string, Obj>;

  it("schema: an unknown top-level key", () => {
    const bad = { ...clone(good), deployments: {} };
    assert.ok(schemaErrors(bad).some((e) => e.keyword === "additionalProperties" && e.params.additionalProperty === "deployments"));
  });

  it("schema: depends_on with a condition compose does not know", () => {
    const bad = clone(good);
    services(bad).sink!.depends_on = { elasticsearch: { condition: "service_ready" } };
    assert.ok(schemaErrors(bad).some((e) => e.instancePath === "/services/sink/depends_on/elasticsearch/condition" && e.keyword === "enum"));
  });

  it("schema: a healthcheck with an unknown key", () => {
    const bad = clone(good);
    services(bad).decoder!.healthcheck = { test: ["CMD", "true"], every: "5s" };
    assert.ok(schemaErrors(bad).length > 0);
  });

  it("interpolation: an unescaped $ in a script and a variable without default", () => {
    const raw = parseCompose(
      ["services:", "  job:", "    image: busybox:1.36", "    command: [sh, -c, 'for t in a b; do echo $t; done']", "    environment:", "      A: ${NOPE}"].join("\n"),
    );
    assert.deepEqual(interpolate(raw).undefaulted, [".services.job.command[2]: $t", ".services.job.environment.A: ${NOPE}"]);
    assert.deepEqual(interpolate(parseCompose("x: ${A:-dflt} $$HOME ${B-} ${C:+alt}")).value, { x: "dflt $HOME  " });
  });

  const cases: [string, (d: Obj) => void, RegExp][] = [
    ["a scalable service with container_name", (d) => void (services(d).decoder!.container_name = "decoder"), /decoder has a container_name/],
    ["a scalable service with host ports", (d) => void (services(d).sink!.ports = ["9484:9484"]), /sink publishes host ports/],
    ["a missing service", (d) => void delete services(d).rules, /services\.rules is missing/],
    ["the wrong SERVICE build arg", (d) => void (obj(services(d).rules!.build).args = { SERVICE: "sink" }), /rules\.build\.args\.SERVICE must be "rules"/],
    ["a collector without the Docker socket", (d) => void (services(d).collector!.volumes = ["collector-state:/var/lib/dockwatch"]), /must mount \/var\/run\/docker\.sock/],
    ["a writable Docker socket", (d) => void (services(d).collector!.volumes = [`${DOCKER_SOCKET}:${DOCKER_SOCKET}`, "collector-state:/var/lib/dockwatch"]), /read-only/],
    ["a service without healthcheck", (d) => void delete services(d).redis!.healthcheck, /redis has no healthcheck/],
    ["waiting for health that is never reported", (d) => void (services(d).redis!.healthcheck = { disable: true }), /waits for redis to be healthy/],
    ["Kafka without the controller role", (d) => void (obj(services(d).kafka!.environment).KAFKA_PROCESS_ROLES = "broker"), /KAFKA_PROCESS_ROLES must include broker and controller/],
    ["a service running as root", (d) => void (services(d).sink!.user = "root"), /sink must run as a non-root user/],
    ["a writable root filesystem", (d) => void delete services(d).rules!.read_only, /rules must run with read_only: true/],
    ["capabilities kept", (d) => void (services(d).decoder!.cap_drop = ["NET_RAW"]), /decoder must drop every capability/],
    ["setuid escalation allowed", (d) => void (services(d).collector!.security_opt = []), /collector must set security_opt no-new-privileges/],
    ["a published PLAINTEXT listener", (d) => void (services(d).kafka!.ports = ["0.0.0.0:9092:9092"]), /publishes 0\.0\.0\.0:9092:9092, listener PLAINTEXT is PLAINTEXT/],
    [
      "an EXTERNAL listener switched back to PLAINTEXT",
      (d) => void (obj(services(d).kafka!.environment).KAFKA_LISTENER_SECURITY_PROTOCOL_MAP = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,EXTERNAL:PLAINTEXT"),
      /listener EXTERNAL is PLAINTEXT/,
    ],
    ["a published port other than the listener's", (d) => void (services(d).kafka!.ports = ["127.0.0.1:45000:9094"]), /publishes 127\.0\.0\.1:45000:9094, listener EXTERNAL .* must be one/],
    [
      "an EXTERNAL listener advertised on another port",
      (d) => void (obj(services(d).kafka!.environment).KAFKA_ADVERTISED_LISTENERS = "PLAINTEXT://kafka:9092,EXTERNAL://kafka:19094"),
      /advertises kafka:19094: those ports must be one/,
    ],
    ["a collector bootstrapping elsewhere", (d) => void (obj(services(d).collector!.environment).KAFKA_BROKERS = "kafka:9092"), /collector KAFKA_BROKERS is kafka:9092, not kafka:9094/],
    ["a collector password inline", (d) => void (obj(services(d).collector!.environment).KAFKA_SASL_PASSWORD = "pw"), /password from a file/],
    ["a topic kafka-init forgets", (d) => void (services(d)["kafka-init"]!.command = ["kafka-topics.sh --create --topic alerts"]), /does not create topic docker\.events\.raw/],
  ];
  for (const [what, breakIt, expected] of cases) {
    it(`invariant: ${what}`, () => {
      const bad = clone(good);
      breakIt(bad);
      const violations = composeViolations(bad, dockerfile);
      assert.ok(violations.some((v) => expected.test(v)), `expected a violation matching ${expected}, got:\n  ${violations.join("\n  ")}`);
    });
  }

  it("invariant: a Dockerfile without the service's stage", () => {
    const violations = composeViolations(good, dockerfile.replace("AS svc-rules", "AS svc-rule"));
    assert.ok(violations.some((v) => v.includes("no stage svc-rules")), violations.join("\n"));
  });
});

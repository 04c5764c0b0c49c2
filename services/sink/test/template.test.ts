// The index template is a copy of the Alert schema in Elasticsearch's terms;
// these tests fail when the two drift apart (a field the schema can carry
// that the template does not map would be mapped dynamically, or not at all,
// and break the searches the README promises analysts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSchemas } from "@dockwatch/codec";
import type { Alert } from "@dockwatch/contracts";
import { alertDocument } from "@dockwatch/contracts";
import { alertIndexTemplate } from "../src/index.js";

/** The parts of an avsc Type this walk reads. */
interface AvroType {
  typeName: string;
  fields?: Array<{ name: string; type: AvroType; doc?: string }>;
  types?: AvroType[];
  itemsType?: AvroType;
  valuesType?: AvroType;
  underlyingType?: AvroType;
}

interface Mapping {
  type?: string;
  properties?: Record<string, Mapping>;
  enabled?: boolean;
  index?: boolean;
  fields?: Record<string, Mapping>;
}

/** Elasticsearch field types that may hold a value of each Avro type. */
const ALLOWED: Record<string, string[]> = {
  // Exact filters and terms aggregations (by agent, container name, rule group) need keyword; see TEXT below.
  string: ["keyword", "wildcard", "constant_keyword"],
  enum: ["keyword", "constant_keyword"],
  boolean: ["boolean"],
  int: ["integer", "long", "short", "byte", "keyword"],
  // Nanosecond times exceed a double: keyword (exact) or an integer type, as the README documents.
  long: ["long", "unsigned_long", "keyword"],
  float: ["float", "double", "half_float", "scaled_float"],
  double: ["double", "scaled_float"],
  bytes: ["binary"],
  fixed: ["binary", "keyword"],
};

/**
 * Strings analyzed as full text: allowed without a keyword sub-field only for
 * the fields documented as full text (full_log); any other text field needs one.
 */
const FULL_TEXT = new Set(["full_log"]);
const isText = (m: Mapping) => m.type === "text" || m.type === "match_only_text";
const hasKeywordSubfield = (m: Mapping) => Object.values(m.fields ?? {}).some((sub) => sub.type === "keyword");

/** A string field whose schema doc says it is an ISO 8601 time must be a date, so date histograms and ranges work. */
const isTimestampDoc = (doc: string | undefined) => doc !== undefined && /ISO 8601/.test(doc);

/** Mapped subtree that needs no mapping below it: flattened (keys as values) or explicitly not indexed. */
const coversSubtree = (m: Mapping) => m.type === "flattened" || m.enabled === false;

function baseName(type: AvroType): string {
  // Longs are avsc "abstract:long" (the codec's BigInt long); logical types read as their underlying type.
  if (type.underlyingType) return baseName(type.underlyingType);
  return type.typeName.replace(/^abstract:/, "");
}

/**
 * Problems between `type` (an Avro type at `path`) and `mapping` (the
 * template's mapping at the same path), recursively.
 */
function compare(type: AvroType, mapping: Mapping | undefined, path: string, doc: string | undefined, problems: string[]): void {
  const name = baseName(type);
  if (name.startsWith("union")) {
    for (const branch of type.types ?? []) if (branch.typeName !== "null") compare(branch, mapping, path, doc, problems);
    return;
  }
  // Elasticsearch has no array type: a field holds one value or many of its type.
  if (name === "array") return compare(type.itemsType!, mapping, path, doc, problems);
  if (mapping === undefined) {
    problems.push(`${path}: not in the template (it would be mapped dynamically)`);
    return;
  }
  if (coversSubtree(mapping)) return;
  if (name === "map") {
    problems.push(`${path}: map keys are chosen by the Docker host; needs a flattened (or enabled: false) mapping, has ${JSON.stringify(mapping)}`);
    return;
  }
  if (name === "record") {
    if (!mapping.properties || (mapping.type !== undefined && mapping.type !== "object" && mapping.type !== "nested")) {
      problems.push(`${path}: a record, mapped as ${JSON.stringify(mapping.type)} without properties`);
      return;
    }
    const fields = type.fields ?? [];
    for (const field of fields) compare(field.type, mapping.properties[field.name], `${path}.${field.name}`, field.doc, problems);
    for (const key of Object.keys(mapping.properties)) {
      if (!fields.some((f) => f.name === key)) problems.push(`${path}.${key}: mapped, but no such field in the schema (stale mapping?)`);
    }
    return;
  }
  const esType = mapping.type ?? "object";
  if (isTimestampDoc(doc)) {
    if (esType !== "date" && esType !== "date_nanos") problems.push(`${path}: an ISO 8601 time, mapped as ${esType} instead of date`);
    return;
  }
  if (name === "string" && isText(mapping)) {
    if (!FULL_TEXT.has(path) && !hasKeywordSubfield(mapping)) problems.push(`${path}: text without a keyword sub-field (no exact filter or aggregation)`);
    return;
  }
  const allowed = ALLOWED[name];
  if (!allowed) problems.push(`${path}: Avro type ${name} has no known Elasticsearch type`);
  else if (!allowed.includes(esType)) problems.push(`${path}: Avro ${name} mapped as ${esType} (expected one of ${allowed.join(", ")})`);
}

/** Problems between a record schema and the template's top-level properties. */
function driftBetween(schema: AvroType, properties: Record<string, Mapping>): string[] {
  const problems: string[] = [];
  const fields = schema.fields ?? [];
  for (const field of fields) compare(field.type, properties[field.name], field.name, field.doc, problems);
  for (const key of Object.keys(properties)) {
    if (!fields.some((f) => f.name === key)) problems.push(`${key}: mapped, but no such field in the schema (stale mapping?)`);
  }
  return problems;
}

const alertSchema = () => {
  const type = loadSchemas().get("Alert");
  assert.ok(type, "schemas/Alert.avsc");
  return type as unknown as AvroType;
};
const templateProperties = () => structuredClone(alertIndexTemplate(1).template.mappings.properties) as Record<string, Mapping>;

describe("alert index template against schemas/Alert.avsc", () => {
  it("maps every field an alert can carry, with a type that fits, and nothing the schema does not have", () => {
    assert.deepEqual(driftBetween(alertSchema(), templateProperties()), []);
  });

  it("finds drift: a field missing, a field left over, a wrong type, a time that is not a date, an exploding map", () => {
    const schema = alertSchema();
    const cases: Array<[string, (p: Record<string, Mapping>) => void, RegExp]> = [
      ["missing leaf", (p) => delete p.container!.properties!.inspect!.properties!.imageId, /^container\.inspect\.imageId: not in the template/],
      ["missing record", (p) => delete p.dockwatch, /^dockwatch: not in the template/],
      ["stale mapping", (p) => (p.rule!.properties!.severity = { type: "keyword" }), /^rule\.severity: mapped, but no such field/],
      ["stale top-level mapping", (p) => (p["@timestamp"] = { type: "date" }), /^@timestamp: mapped, but no such field/],
      ["int as text", (p) => (p.rule!.properties!.level = { type: "text" }), /^rule\.level: Avro int mapped as text/],
      ["string as text only", (p) => (p.location = { type: "text" }), /^location: text without a keyword sub-field/],
      ["string as integer", (p) => (p.agent!.properties!.id = { type: "integer" }), /^agent\.id: Avro string mapped as integer/],
      ["boolean as keyword", (p) => (p.rule!.properties!.mail = { type: "keyword" }), /^rule\.mail: Avro boolean mapped as keyword/],
      ["timestamp as keyword", (p) => (p.timestamp = { type: "keyword" }), /^timestamp: an ISO 8601 time, mapped as keyword/],
      ["labels as object", (p) => (p.container!.properties!.labels = { type: "object" }), /^container\.labels: map keys are chosen by the Docker host/],
      ["record as keyword", (p) => (p.agent = { type: "keyword" }), /^agent: a record, mapped as "keyword"/],
    ];
    for (const [what, breakIt, expected] of cases) {
      const properties = templateProperties();
      breakIt(properties);
      const problems = driftBetween(schema, properties);
      assert.ok(problems.some((p) => expected.test(p)), `${what}: ${JSON.stringify(problems)}`);
    }
  });

  it("accepts a subtree that the template explicitly leaves unindexed", () => {
    const properties = templateProperties();
    properties.container = { type: "object", enabled: false };
    assert.deepEqual(driftBetween(alertSchema(), properties), []);
  });
});

/** Dotted paths of the leaves of a JSON document (arrays hold values of their field). */
function leafPaths(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v) => leafPaths(v, path));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) => leafPaths(v, path ? `${path}.${key}` : key));
  }
  return [path];
}

/** Whether `path` is explicitly mapped (a leaf, or inside a flattened / unindexed subtree). */
function isMapped(properties: Record<string, Mapping>, path: string): boolean {
  let level: Record<string, Mapping> | undefined = properties;
  for (const part of path.split(".")) {
    const mapping: Mapping | undefined = level?.[part];
    if (!mapping) return false;
    if (coversSubtree(mapping)) return true;
    level = mapping.properties;
  }
  return level === undefined;
}

describe("the document the sink indexes (alertDocument)", () => {
  it("has only explicitly mapped fields, for an alert with every optional part present", () => {
    const alert: Alert = {
      timestamp: "2018-10-05T17:15:33.892+0200",
      rule: { level: 12, description: "d", id: "87924", mail: true, groups: ["docker"], pci_dss: ["10.2.7"], gdpr: ["IV_32.2"], hipaa: ["164.312.b"], nist_800_53: ["AU.6"], tsc: ["CC7.2"], mitre: { id: ["T1610"], tactic: ["Execution"], technique: ["Deploy Container"] } },
      agent: { id: "002", name: "agent001", ip: "192.168.122.19" },
      manager: { name: "m" },
      id: "1538752533.42",
      cluster: { name: "wazuh", node: "master" },
      full_log: "{}",
      decoder: { name: "json" },
      data: {
        integration: "docker",
        docker: { status: "start", id: "c", from: "httpd", Type: "container", Action: "start", Actor: { ID: "c", Attributes: { name: "apache", "com.example.x": "1" } }, scope: "local", time: "1538752533", timeNano: "1538752533877226210" },
      },
      location: "Wazuh-Docker",
      dockwatch: { version: "0.1.0", ruleset: "abc", correlation: "ok", truncated: false },
      container: {
        id: "c",
        name: "apache",
        imageName: "httpd",
        labels: { "com.example.team": "web" },
        compose: { project: "shop", service: "web" },
        kubernetes: { namespace: "payments", pod: "api-7d4b9", container: "api" },
        inspect: {
          privileged: true,
          capAdd: ["SYS_ADMIN"],
          mounts: [{ type: "bind", source: "/", destination: "/host", readWrite: true }],
          networkMode: "host",
          pidMode: "host",
          ipcMode: "host",
          utsMode: "host",
          user: "root",
          seccompProfile: "unconfined",
          apparmorProfile: "unconfined",
          restartPolicy: "always",
          image: "httpd:2.4",
          imageId: "sha256:1",
          healthcheck: null,
        },
      },
    };
    const properties = templateProperties();
    const paths = leafPaths(alertDocument(alert));
    assert.ok(paths.includes("container.inspect.mounts.readWrite") && paths.includes("rule.mitre.technique"), "the sample reaches the deepest fields");
    assert.deepEqual(paths.filter((p) => !isMapped(properties, p)), []);
    // And the check itself sees a field the template lacks.
    assert.deepEqual(leafPaths({ ...alertDocument(alert), extra: { x: 1 } }).filter((p) => !isMapped(properties, p)), ["extra.x"]);
  });
});

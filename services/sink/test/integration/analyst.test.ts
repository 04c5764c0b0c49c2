import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { alertDocument } from "@dockwatch/contracts";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, repoRoot, unique, waitFor } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { startSink } from "../../src/index.js";
import { makeAlert, removeIndices, sinkTestbed } from "./fixtures.js";

// What an analyst does in Kibana, on the real Elasticsearch, against alerts
// that went through the real sink: the searches work on the mapping, arbitrary
// label keys do not grow it, and every field of infra/kibana's saved objects
// exists with a type its visualization can use.

const logger = createLogger("sink-analyst-test", process.env.LOG_LEVEL ?? "warn");

// 2024-06-01T00:00:00Z: every alert of this file lands in <SINK_INDEX_PREFIX>-2024.06.01.
const DAY = 1_717_200_000;

describe("analyst searches on the sink's mapping (real Kafka and Elasticsearch)", () => {
  const run = unique("analyst");
  const ruleset = run;
  const { env, config, clients } = sinkTestbed(run, logger, {
    SINK_FLUSH_INTERVAL: "100ms",
  });
  const INDEX = `${config.indices.dailyPrefix}2024.06.01`;
  const es = new Client({ node: infra.elasticsearchUrl });
  let sink: RunningService;

  // The expectations below are read off this table, not computed by the code under test.
  const alerts: Alert[] = [
    makeAlert({ id: `${DAY + 1}.${run}.1`, eventSeconds: DAY + 1, timestamp: "2024-06-01T10:00:05.000+0000", level: 3, ruleId: "87903", container: "web-1", agentName: `${run}-a`, ruleset }),
    makeAlert({ id: `${DAY + 2}.${run}.2`, eventSeconds: DAY + 2, timestamp: "2024-06-01T10:00:40.000+0000", level: 3, ruleId: "87903", container: "web-1", agentName: `${run}-a`, ruleset }),
    makeAlert({ id: `${DAY + 3}.${run}.3`, eventSeconds: DAY + 3, timestamp: "2024-06-01T12:01:10.000+0200", level: 7, ruleId: "87904", groups: ["docker", "attack"], container: "db-1", agentName: `${run}-a`, ruleset }),
    makeAlert({ id: `${DAY + 4}.${run}.4`, eventSeconds: DAY + 4, timestamp: "2024-06-01T10:03:00.000+0000", level: 12, ruleId: "87924", groups: ["docker", "privileged"], container: "db-1", agentName: `${run}-b`, ruleset }),
    makeAlert({ id: `${DAY + 5}.${run}.5`, eventSeconds: DAY + 5, timestamp: "2024-06-01T10:03:59.999+0000", level: 5, ruleId: "87910", container: "web-2", agentName: `${run}-b`, ruleset }),
  ];
  // 500 label keys nobody planned for, on both the container and the engine's attributes.
  const labels = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`${run}.key${i}.${Math.random().toString(36).slice(2, 8)}`, `v${i}`]));
  const labelled = makeAlert({ id: `${DAY + 6}.${run}.6`, eventSeconds: DAY + 6, timestamp: "2024-06-01T11:00:00.000+0000", labels, ruleset: `${ruleset}-labels` });

  const mine = { term: { "dockwatch.ruleset": ruleset } };
  const ids = async (query: object) => {
    const res = await es.search({ index: config.indices.alias, size: 100, query: { bool: { filter: [mine, query] } }, sort: [{ id: "asc" }] });
    return res.hits.hits.map((h) => h._id!.split(".").pop());
  };

  before(async () => {
    for (const c of clients.components) await c.start();
    sink = await startSink(config, logger);
    await clients.producer.send({
      topic: env.TOPIC_ALERTS,
      acks: -1,
      messages: [
        ...alerts.slice(0, 4).map((a) => ({ key: a.data.docker.id, value: clients.codec.encode("Alert", a) })),
        // ALERTS_FORMAT=json producers: the same document as JSON.
        { key: alerts[4]!.data.docker.id, value: Buffer.from(JSON.stringify(alertDocument(alerts[4]!))) },
        { key: labelled.data.docker.id, value: clients.codec.encode("Alert", labelled) },
      ],
    });
    await waitFor("6 alerts indexed", async () => {
      await es.indices.refresh({ index: config.indices.alias });
      const res = await es.count({ index: config.indices.alias, query: { prefix: { "dockwatch.ruleset": ruleset } } });
      return res.count === 6;
    });
  });
  after(async () => {
    await sink?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
    await removeIndices(es, config);
    await es.close();
  });

  it("rule.level range", async () => {
    assert.deepEqual(await ids({ range: { "rule.level": { gte: 7 } } }), ["3", "4"]);
    assert.deepEqual(await ids({ range: { "rule.level": { gte: 4, lt: 12 } } }), ["3", "5"]);
  });

  it("agent.name term", async () => {
    assert.deepEqual(await ids({ term: { "agent.name": `${run}-b` } }), ["4", "5"]);
  });

  it("container name term (normalized field and the engine's attribute)", async () => {
    assert.deepEqual(await ids({ term: { "container.name": "db-1" } }), ["3", "4"]);
    assert.deepEqual(await ids({ term: { "data.docker.Actor.Attributes.name": "web-1" } }), ["1", "2"]);
  });

  it("rule.groups term", async () => {
    assert.deepEqual(await ids({ term: { "rule.groups": "privileged" } }), ["4"]);
    assert.deepEqual(await ids({ term: { "rule.groups": "docker" } }), ["1", "2", "3", "4", "5"]);
  });

  it("a label key as an analyst types it", async () => {
    const [key, value] = Object.entries(labels)[123]!;
    const res = await es.count({ index: config.indices.alias, query: { term: { [`container.labels.${key}`]: value } } });
    assert.equal(res.count, 1);
  });

  it("per-minute date histogram on timestamp (offsets normalized to UTC)", async () => {
    const res = await es.search({
      index: config.indices.alias,
      size: 0,
      query: mine,
      aggs: { perMinute: { date_histogram: { field: "timestamp", fixed_interval: "1m", min_doc_count: 1 } } },
    });
    const buckets = (res.aggregations!.perMinute as { buckets: Array<{ key_as_string: string; doc_count: number }> }).buckets;
    assert.deepEqual(
      buckets.map((b) => [b.key_as_string, b.doc_count]),
      [
        ["2024-06-01T10:00:00.000Z", 2],
        ["2024-06-01T10:01:00.000Z", 1],
        ["2024-06-01T10:03:00.000Z", 2],
      ],
    );
  });

  it("terms aggregation on rule.id", async () => {
    const res = await es.search({ index: config.indices.alias, size: 0, query: mine, aggs: { rules: { terms: { field: "rule.id" } } } });
    const buckets = (res.aggregations!.rules as { buckets: Array<{ key: string; doc_count: number }> }).buckets;
    assert.deepEqual(
      buckets.map((b) => [b.key, b.doc_count]),
      [
        ["87903", 2],
        ["87904", 1],
        ["87910", 1],
        ["87924", 1],
      ],
    );
  });

  it("1000 unplanned label and attribute keys leave the mapping small", async () => {
    const mapping = await es.indices.getMapping({ index: INDEX });
    const fields: string[] = [];
    const walk = (props: Record<string, { properties?: object; fields?: object; type?: string }>, path: string) => {
      for (const [name, def] of Object.entries(props)) {
        const full = path ? `${path}.${name}` : name;
        if (def.properties) walk(def.properties as never, full);
        else fields.push(full);
      }
    };
    walk(mapping[INDEX]!.mappings.properties as never, "");
    assert.ok(!fields.some((f) => f.includes(run)), "no label key became a field");
    // The template maps about 70 leaf fields; others' documents in the shared index may add a few.
    assert.ok(fields.length < 150, `${fields.length} mapped fields`);
    assert.ok(fields.includes("container.labels") && fields.includes("data.docker.Actor.Attributes"));
  });

  it("every field infra/kibana's saved objects use exists in _field_caps with a usable type", async () => {
    const objects = readFileSync(join(repoRoot, "infra/kibana/dockwatch.ndjson"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; id: string; attributes: Record<string, unknown> });
    // field -> what its user needs: "date", "number", "aggregatable" (terms), "searchable" (column, KQL)
    const needs: Array<{ field: string; need: "date" | "number" | "aggregatable" | "searchable"; where: string }> = [];
    for (const o of objects) {
      const a = o.attributes;
      if (o.type === "index-pattern") needs.push({ field: a.timeFieldName as string, need: "date", where: o.id });
      if (o.type === "visualization") {
        const vis = JSON.parse(a.visState as string) as { aggs: Array<{ type: string; params: { field?: string } }> };
        for (const agg of vis.aggs) {
          if (!agg.params.field) continue;
          const need = agg.type === "date_histogram" ? "date" : agg.type === "range" || agg.type === "histogram" ? "number" : "aggregatable";
          needs.push({ field: agg.params.field, need, where: `${o.id} ${agg.type}` });
        }
      }
      if (o.type === "search") {
        for (const column of a.columns as string[]) needs.push({ field: column, need: "searchable", where: `${o.id} column` });
        for (const [field] of a.sort as Array<[string, string]>) needs.push({ field, need: "aggregatable", where: `${o.id} sort` });
      }
      const source = (a.kibanaSavedObjectMeta as { searchSourceJSON?: string } | undefined)?.searchSourceJSON;
      const kql = source ? (JSON.parse(source) as { query?: { query?: string } }).query?.query ?? "" : "";
      for (const m of kql.matchAll(/([A-Za-z_][\w.]*)\s*(?:>=|<=|>|<|:)/g)) needs.push({ field: m[1]!, need: "searchable", where: `${o.id} query` });
    }
    assert.ok(needs.length >= 15, `collected ${needs.length} field uses`);
    assert.ok(objects.some((o) => o.type === "dashboard"), "a dashboard");

    const caps = await es.fieldCaps({ index: INDEX, fields: [...new Set(needs.map((n) => n.field))] });
    const problems: string[] = [];
    for (const { field, need, where } of needs) {
      const byType = caps.fields[field];
      if (!byType) {
        problems.push(`${field} (${where}): not in the index`);
        continue;
      }
      const types = Object.keys(byType);
      const cap = byType[types[0]!]!;
      if (types.length !== 1) problems.push(`${field} (${where}): conflicting types ${types.join(",")}`);
      else if (need === "date" && types[0] !== "date") problems.push(`${field} (${where}): ${types[0]}, not date`);
      else if (need === "number" && !["integer", "long", "short", "float", "double"].includes(types[0]!)) problems.push(`${field} (${where}): ${types[0]}, not a number`);
      else if (need !== "searchable" && !cap.aggregatable) problems.push(`${field} (${where}): not aggregatable`);
      else if (!cap.searchable) problems.push(`${field} (${where}): not searchable`);
    }
    assert.deepEqual(problems, []);
  });
});

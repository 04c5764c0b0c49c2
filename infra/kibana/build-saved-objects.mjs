#!/usr/bin/env node
// Writes dockwatch.ndjson, the Kibana 8.19 saved objects of dockwatch: a data
// view over the alert indices and a dashboard of aggregation-based
// visualizations plus a saved search. Edit here, run `node build-saved-objects.mjs`,
// commit both. Kibana serializes visState and searchSourceJSON as JSON strings
// inside the object; writing them from JavaScript keeps them readable here.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const DATA_VIEW = "dockwatch-alerts";
const INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index";
const meta = { coreMigrationVersion: "8.8.0", managed: false };

const dataView = {
  ...meta,
  id: DATA_VIEW,
  type: "index-pattern",
  typeMigrationVersion: "8.0.0",
  attributes: { title: "dockwatch-alerts*", name: "dockwatch alerts", timeFieldName: "timestamp", allowHidden: false },
  references: [],
};

const searchSource = (query = "") =>
  JSON.stringify({ query: { query, language: "kuery" }, filter: [], indexRefName: INDEX_REF });

function visualization(id, title, type, aggs, params) {
  return {
    ...meta,
    id,
    type: "visualization",
    typeMigrationVersion: "8.5.0",
    attributes: {
      title,
      description: "",
      version: 1,
      uiStateJSON: "{}",
      visState: JSON.stringify({ title, type, aggs, params }),
      kibanaSavedObjectMeta: { searchSourceJSON: searchSource() },
    },
    references: [{ id: DATA_VIEW, name: INDEX_REF, type: "index-pattern" }],
  };
}

const count = { id: "1", enabled: true, type: "count", params: {}, schema: "metric" };
const terms = (id, field, size, schema) => ({
  id,
  enabled: true,
  type: "terms",
  params: { field, size, order: "desc", orderBy: "1", otherBucket: false, missingBucket: false },
  schema,
});
const table = { perPage: 10, showPartialRows: false, showMetricsAtAllLevels: false, showTotal: false, totalFunc: "sum", percentageCol: "" };

const overTime = visualization(
  "dockwatch-alerts-over-time",
  "dockwatch: alerts over time",
  "histogram",
  [
    count,
    { id: "2", enabled: true, type: "date_histogram", params: { field: "timestamp", interval: "auto", min_doc_count: 1, extended_bounds: {} }, schema: "segment" },
    { id: "3", enabled: true, type: "range", params: { field: "rule.level", ranges: [{ from: 0, to: 7 }, { from: 7, to: 12 }, { from: 12 }] }, schema: "group" },
  ],
  {
    type: "histogram",
    addTooltip: true,
    addLegend: true,
    legendPosition: "right",
    times: [],
    addTimeMarker: false,
    categoryAxes: [{ id: "CategoryAxis-1", type: "category", position: "bottom", show: true, scale: { type: "linear" }, labels: { show: true, filter: true, truncate: 100 }, title: {} }],
    valueAxes: [{ id: "ValueAxis-1", name: "LeftAxis-1", type: "value", position: "left", show: true, scale: { type: "linear", mode: "normal" }, labels: { show: true, rotate: 0, filter: false, truncate: 100 }, title: { text: "Alerts" } }],
    seriesParams: [{ show: true, type: "histogram", mode: "stacked", data: { label: "Alerts", id: "1" }, valueAxis: "ValueAxis-1", drawLinesBetweenPoints: true, showCircles: true }],
    grid: { categoryLines: false },
  },
);

const topRules = visualization("dockwatch-top-rules", "dockwatch: top rules", "table", [
  count,
  terms("2", "rule.id", 20, "bucket"),
  terms("3", "rule.description.keyword", 1, "bucket"),
], table);

const topContainers = visualization("dockwatch-top-containers", "dockwatch: top containers", "table", [
  count,
  terms("2", "container.name", 20, "bucket"),
  terms("3", "container.imageName", 3, "bucket"),
], table);

const byAgent = visualization("dockwatch-alerts-by-agent", "dockwatch: alerts by agent", "pie", [count, terms("2", "agent.name", 20, "segment")], {
  type: "pie",
  addTooltip: true,
  legendDisplay: "show",
  legendPosition: "right",
  isDonut: true,
  labels: { show: true, values: true, last_level: true, truncate: 100 },
});

const highLevel = {
  ...meta,
  id: "dockwatch-level-7-and-above",
  type: "search",
  typeMigrationVersion: "8.0.0",
  attributes: {
    title: "dockwatch: alerts of level 7 and above",
    description: "",
    columns: ["rule.level", "rule.id", "rule.description", "agent.name", "container.name", "container.imageName", "data.docker.Action"],
    sort: [["timestamp", "desc"]],
    grid: {},
    hideChart: false,
    isTextBasedQuery: false,
    kibanaSavedObjectMeta: { searchSourceJSON: searchSource("rule.level >= 7") },
  },
  references: [{ id: DATA_VIEW, name: INDEX_REF, type: "index-pattern" }],
};

const panels = [
  [overTime, { x: 0, y: 0, w: 48, h: 12 }],
  [topRules, { x: 0, y: 12, w: 16, h: 15 }],
  [topContainers, { x: 16, y: 12, w: 16, h: 15 }],
  [byAgent, { x: 32, y: 12, w: 16, h: 15 }],
  [highLevel, { x: 0, y: 27, w: 48, h: 15 }],
];

const dashboard = {
  ...meta,
  id: "dockwatch-alerts-dashboard",
  type: "dashboard",
  typeMigrationVersion: "8.9.0",
  attributes: {
    title: "dockwatch: Docker alerts",
    description: "Docker security alerts written by the dockwatch sink",
    version: 1,
    timeRestore: true,
    timeFrom: "now-24h",
    timeTo: "now",
    refreshInterval: { pause: false, value: 60_000 },
    optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, syncCursor: true, syncTooltips: false, hidePanelTitles: false }),
    panelsJSON: JSON.stringify(
      panels.map(([, grid], i) => ({
        version: "8.19.0",
        gridData: { ...grid, i: String(i + 1) },
        panelIndex: String(i + 1),
        embeddableConfig: { enhancements: {} },
        panelRefName: `panel_${i + 1}`,
      })),
    ),
    kibanaSavedObjectMeta: { searchSourceJSON: JSON.stringify({ query: { query: "", language: "kuery" }, filter: [] }) },
  },
  references: panels.map(([obj], i) => ({ id: obj.id, name: `${i + 1}:panel_${i + 1}`, type: obj.type })),
};

const out = join(dirname(fileURLToPath(import.meta.url)), "dockwatch.ndjson");
writeFileSync(out, [dataView, overTime, topRules, topContainers, byAgent, highLevel, dashboard].map((o) => JSON.stringify(o)).join("\n") + "\n");
console.log(`wrote ${out}`);

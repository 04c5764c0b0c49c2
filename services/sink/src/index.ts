export * from "./bulk.js";
export * from "./elasticsearch.js";
export * from "./service.js";
export * from "./template.js";
export * from "./indexer.js";
export * from "./retention.js";

export * from "./batch-consumer.js";
export * from "./client.js";
export * from "./errors.js";
export * from "./plan.js";
export * from "./records.js";
export * from "./schema-store.js";
export * from "./stage.js";
export * from "./pipeline.js";

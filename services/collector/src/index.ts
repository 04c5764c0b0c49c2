export * from "./checkpoint.js";
export * from "./engine.js";
export * from "./facts.js";
export * from "./inventory.js";
export * from "./service.js";
export * from "./spool.js";
export * from "./state-dir.js";

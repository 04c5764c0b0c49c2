export * from "./background.js";
export * from "./chunk.js";
export * from "./health.js";
export * from "./lifecycle.js";
export * from "./logger.js";
export * from "./metrics.js";
export * from "./scope.js";

export * from "./format.js";
export * from "./lag.js";
export * from "./metrics.js";
export * from "./services.js";
export * from "./commands/summary.js";
export * from "./commands/tail.js";
export * from "./commands/replay.js";
export * from "./replay/plan.js";

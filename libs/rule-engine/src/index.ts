export * from "./alert.js";
export * from "./correlator.js";
export * from "./evaluate.js";
export * from "./host-events.js";
export * from "./logtest.js";
export * from "./ruleset.js";
export * from "./window.js";
export * from "./settings.js";

export * from "./alert.js";
export * from "./evaluate.js";
export * from "./reload.js";
export * from "./ruleset.js";
export * from "./service.js";

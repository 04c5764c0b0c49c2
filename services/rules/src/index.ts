export * from "./alert.js";
export * from "./ruleset.js";
export * from "./service.js";

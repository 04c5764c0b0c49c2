export * from "./client.js";
export * from "./errors.js";
export * from "./wait.js";
export * from "./outcomes.js";

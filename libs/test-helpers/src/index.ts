export * from "./infra.js";
export * from "./seed.js";

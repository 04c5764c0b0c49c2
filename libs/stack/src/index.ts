export * from "./services.js";
export * from "./format.js";

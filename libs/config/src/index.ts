export * from "./env.js";
export * from "./common.js";
export * from "./retry.js";

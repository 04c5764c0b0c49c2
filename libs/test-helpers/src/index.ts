export * from "./infra.js";
export * from "./seed.js";
export * from "./prng.js";

export * from "./codec.js";
export * from "./errors.js";
export * from "./fingerprint.js";
export * from "./types.js";

export * from "./decode.js";
export * from "./python-json.js";
export * from "./service.js";
export * from "./ecs.js";
export * from "./redact.js";

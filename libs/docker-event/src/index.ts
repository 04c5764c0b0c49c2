export * from "./decode.js";
export * from "./ecs.js";
export * from "./engine-event.js";
export * from "./lines.js";
export * from "./python-json.js";
export * from "./redact.js";
export * from "./bound.js";
export * from "./record.js";

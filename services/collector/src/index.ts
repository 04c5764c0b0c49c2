export * from "./engine.js";
export * from "./engine-event.js";
export * from "./lines.js";
export * from "./service.js";

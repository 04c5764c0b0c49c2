export * from "./decode.js";
export * from "./python-json.js";
export * from "./service.js";

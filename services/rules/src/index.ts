export * from "./reload.js";
export * from "./service.js";

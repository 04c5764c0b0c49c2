export * from "./services.js";

import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadCollectorConfig } from "./config.js";
import { startCollector } from "./service.js";

runMain("collector", async ({ stopLast }) => {
  const config = loadCollectorConfig(process.env);
  // Stopped after every component, so the spans of the last records are flushed.
  stopLast(await startTelemetry("dockwatch-collector"));
  return startCollector(config, createLogger("collector", config.runtime.logLevel));
});

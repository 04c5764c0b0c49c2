import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadCollectorConfig, startCollector } from "./service.js";

runMain("collector", async () => {
  const config = loadCollectorConfig(process.env);
  startTelemetry("dockwatch-collector");
  return startCollector(config, createLogger("collector", config.runtime.logLevel));
});

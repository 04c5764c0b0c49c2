import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadRulesConfig, startRules } from "./service.js";

runMain("rules", async ({ stopLast }) => {
  const config = loadRulesConfig(process.env);
  // Stopped after every component, so the spans of the last batches are flushed.
  stopLast(await startTelemetry("dockwatch-rules"));
  return startRules(config, createLogger("rules", config.runtime.logLevel));
});

import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadRulesConfig, startRules } from "./service.js";

runMain("rules", async () => {
  const config = loadRulesConfig(process.env);
  startTelemetry("dockwatch-rules");
  return startRules(config, createLogger("rules", config.runtime.logLevel));
});

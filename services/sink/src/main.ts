import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadSinkConfig, startSink } from "./service.js";

runMain("sink", async () => {
  const config = loadSinkConfig(process.env);
  startTelemetry("dockwatch-sink");
  return startSink(config, createLogger("sink", config.runtime.logLevel));
});

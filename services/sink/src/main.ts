import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadSinkConfig, startSink } from "./service.js";

runMain("sink", async ({ stopLast }) => {
  const config = loadSinkConfig(process.env);
  // Stopped after every component, so the spans of the last batches are flushed.
  stopLast(await startTelemetry("dockwatch-sink"));
  return startSink(config, createLogger("sink", config.runtime.logLevel));
});

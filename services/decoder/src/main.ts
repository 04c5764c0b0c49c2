import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadDecoderConfig, startDecoder } from "./service.js";

runMain("decoder", async ({ stopLast }) => {
  const config = loadDecoderConfig(process.env);
  // Stopped after every component, so the spans of the last batches are flushed.
  stopLast(await startTelemetry("dockwatch-decoder"));
  return startDecoder(config, createLogger("decoder", config.runtime.logLevel));
});

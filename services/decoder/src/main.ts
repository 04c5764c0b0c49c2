import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadDecoderConfig, startDecoder } from "./service.js";

runMain("decoder", async () => {
  const config = loadDecoderConfig(process.env);
  startTelemetry("dockwatch-decoder");
  return startDecoder(config, createLogger("decoder", config.runtime.logLevel));
});

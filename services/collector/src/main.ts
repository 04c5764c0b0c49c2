import { createLogger, runMain } from "@dockwatch/runtime";
import { startTelemetry } from "@dockwatch/telemetry";
import { loadCollectorConfig } from "./config.js";
import { startCollector } from "./service.js";

runMain("collector", async () => {
  const config = loadCollectorConfig(process.env);
  startTelemetry("dockwatch-collector");
  const service = await startCollector(config, createLogger("collector", config.runtime.logLevel));
  // A component gave up (logged with its stack): the service stops itself; the process says so by its exit code.
  void service.failure.then(() => service.stopped).then(() => process.exit(1));
  return service;
});

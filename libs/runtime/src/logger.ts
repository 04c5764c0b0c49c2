import pino, { type Logger } from "pino";

export type { Logger };

/** Structured JSON lines on stdout: one line per event, readable without a terminal. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

import { redactCredentials, scrubSecrets } from "@dockwatch/errors";
import pino, { type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON lines on stdout: one line per event, readable without a
 * terminal. No line carries a credential: messages, fields and serialized
 * errors (with their causes and a client's request metadata) pass through
 * libs/errors' redaction, URL userinfo and secret-named keys masked. Code
 * should still log redacted URLs itself; this is the net under it.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? "info", destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      // Errors are left to the err serializer below (scrubbing would drop their message and stack).
      // An error under another key than `err` gets the same serializer, so its own properties (a client's request, a
      // failed command's arguments) are scrubbed too instead of being written by JSON.stringify as they are.
      log: (fields) =>
        Object.fromEntries(
          Object.entries(fields).map(([k, v]) => [k, v instanceof Error ? (k === "err" ? v : scrubSecrets(pino.stdSerializers.err(v))) : scrubSecrets({ [k]: v })[k]]),
        ),
    },
    serializers: { err: (err: Error) => scrubSecrets(pino.stdSerializers.err(err)) },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a) => (typeof a === "string" ? redactCredentials(a) : a));
        // logger.error(err) alone: pino would take the message from the error as it is.
        if (redacted[0] instanceof Error && typeof redacted[1] !== "string") redacted.splice(1, 0, redactCredentials(redacted[0].message));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

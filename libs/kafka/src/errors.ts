import { DependencyError, DockwatchError } from "@dockwatch/errors";
import kafkajs from "kafkajs";

/**
 * @deprecated Throw a DependencyError with a code naming the dependency
 * ("redis-unavailable") instead; nothing in libs/kafka uses this. It stays only
 * until its last users (services/rules) move to DependencyError.
 */
export class RetryableError extends DependencyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("dependency-unavailable", message, options);
  }
}

/**
 * A broker call that failed, in the taxonomy: every kafkajs error (a broker
 * down or electing a leader, a timeout, retries exhausted) is a
 * DependencyError("kafka-unavailable"), as the broker not acking a batch has
 * always held it rather than lost it. Any other error (a bug of ours: a bad
 * argument, a TypeError) comes back unchanged, hence unknown.
 */
export function classifyKafkaError(err: unknown, what: string): unknown {
  if (err instanceof DockwatchError || !(err instanceof kafkajs.KafkaJSError)) return err;
  return new DependencyError("kafka-unavailable", `${what}: ${err.message}`, { cause: err });
}

/** Runs one broker call and throws its failure classified (classifyKafkaError). */
export async function kafkaCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyKafkaError(err, what);
  }
}

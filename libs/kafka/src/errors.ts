import { DependencyError, DockwatchError } from "@dockwatch/errors";
import kafkajs from "kafkajs";

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

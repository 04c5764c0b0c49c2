import { DependencyError, DockwatchError, RecordError, errorCode } from "@dockwatch/errors";
import kafkajs from "kafkajs";

/**
 * Broker answers about the records themselves: sending the same bytes again
 * can never succeed (too large for message.max.bytes, a batch over the
 * request size, a record the broker cannot read). The record has to be cut
 * or dead-lettered.
 */
export const RECORD_REJECTIONS = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD", "CORRUPT_MESSAGE"]);

/**
 * Broker answers that the idempotent producer's session (producer id, epoch,
 * sequence numbers) is out of step: kafkajs keeps it, so every later send of
 * that producer fails the same way until a new producer takes a fresh id.
 * kafkajs gets there by itself after a partial failure of a multi-partition
 * request: it rolls back the sequence numbers of the partitions that were
 * written as well as of the one that failed.
 */
export const SESSION_ERRORS = new Set(["OUT_OF_ORDER_SEQUENCE_NUMBER", "INVALID_PRODUCER_EPOCH", "UNKNOWN_PRODUCER_ID", "INVALID_PRODUCER_ID_MAPPING"]);

/** The kafkajs protocol error types in an error, its causes and (for an aggregate) its members. */
export function kafkaErrorTypes(err: unknown, seen = new Set<unknown>()): string[] {
  if (err === null || typeof err !== "object" || seen.has(err)) return [];
  seen.add(err);
  const e = err as { type?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.type === "string" ? [e.type] : [];
  const members = Array.isArray(e.errors) ? e.errors.flatMap((m) => kafkaErrorTypes(m, seen)) : [];
  return [...own, ...kafkaErrorTypes(e.cause, seen), ...members];
}

/**
 * A broker call that failed, in the taxonomy:
 * - the broker refused the records themselves (RECORD_REJECTIONS): a
 *   RecordError("kafka-record-rejected"), never retried as is;
 * - the producer's idempotent session is out of step (SESSION_ERRORS): a
 *   DependencyError("kafka-producer-session"), retried with a new producer;
 * - every other kafkajs error (a broker down or electing a leader, a
 *   timeout, retries exhausted): DependencyError("kafka-unavailable"), as the
 *   broker not acking a batch has always held it rather than lost it.
 * Any other error (a bug of ours: a bad argument, a TypeError) comes back
 * unchanged, hence unknown.
 */
export function classifyKafkaError(err: unknown, what: string): unknown {
  if (err instanceof DockwatchError || !(err instanceof kafkajs.KafkaJSError)) return err;
  const types = kafkaErrorTypes(err);
  const rejected = types.find((t) => RECORD_REJECTIONS.has(t));
  if (rejected) return new RecordError("kafka-record-rejected", `${what}: the broker refused the record (${rejected}): ${err.message}`, { cause: err });
  const session = types.find((t) => SESSION_ERRORS.has(t));
  if (session) return new DependencyError("kafka-producer-session", `${what}: the idempotent producer is out of step (${session}); a new producer takes over`, { cause: err });
  return new DependencyError("kafka-unavailable", `${what}: ${err.message}`, { cause: err });
}

/** A classified send failure saying the broker refused the record itself: the same bytes can never succeed. */
export const isRefusedRecord = (err: unknown): boolean => errorCode(err) === "kafka-record-rejected";

/** A classified send failure after which only a new idempotent producer session can send again (kafkajs's sequences are out of step). */
export const needsNewSession = (err: unknown): boolean => isRefusedRecord(err) || errorCode(err) === "kafka-producer-session";

/** Runs one broker call and throws its failure classified (classifyKafkaError). */
export async function kafkaCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyKafkaError(err, what);
  }
}

/** TLS verification failures of the broker's certificate (Node's codes) a client can only fix in its settings. */
const CERTIFICATE_FAILURES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/**
 * The one line a service stops with when it cannot connect to Kafka at start:
 * refused credentials and a broker certificate that does not verify are
 * settings to fix (named), not an outage; anything else says where it looked.
 */
export function connectFailure(brokers: string[], err: unknown, username?: string): string {
  const chain: Array<{ name?: string; code?: string; message?: string }> = [];
  for (let e = err as { name?: string; code?: string; message?: string; cause?: unknown; originalError?: unknown } | undefined; e && chain.length < 8; e = (e.originalError ?? e.cause) as typeof e) chain.push(e);
  const where = `Kafka at ${brokers.join(",")}`;
  const sasl = chain.find((e) => e.name === "KafkaJSSASLAuthenticationError");
  if (sasl) {
    return `${where} refused the credentials of KAFKA_SASL_USERNAME=${username ?? "(unset)"} (${sasl.message}): check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM`;
  }
  const tls = chain.find((e) => e.code !== undefined && CERTIFICATE_FAILURES.has(e.code));
  if (tls) {
    return `${where}: its TLS certificate does not verify (${tls.code}): KAFKA_SSL_CA_FILE must be the CA that signed it, and the certificate valid now and for this address`;
  }
  return `${where} is unreachable (${(err as Error).message}); start it (infra/local up) or set KAFKA_BROKERS`;
}

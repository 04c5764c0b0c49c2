import type { Alert, DecodedEvent, DockerEvent } from "./types.generated.js";

// What the Avro schema cannot say about a topic's values: a record can be
// valid Avro and still be absurd (an alert without an id, a time that is no
// time). A consuming stage decodes a record *and* checks it here, so an absurd
// value is dead-lettered with a reason at the door instead of throwing deep in
// a transform (issue 12: `indexFor` on an alert without data). Each check
// names the first field that breaks the contract, or returns undefined.

/** A check of one record type: the first problem, or undefined for a good value. */
export type ContractCheck = (value: unknown) => string | undefined;

/** Latest instant a Docker event can carry (year 9999, what a daily index name and ES dates can hold). */
export const MAX_EPOCH_SECONDS = 253_402_300_799;
/** Elasticsearch refuses a document _id longer than 512 bytes. */
export const MAX_ALERT_ID_BYTES = 512;
/** Wazuh rule levels. */
export const MAX_RULE_LEVEL = 16;

const isDate = (s: string) => s.length > 0 && !Number.isNaN(new Date(s).getTime());

/** Epoch seconds as a decimal string (Wazuh's data.docker.time) within 0..MAX_EPOCH_SECONDS. */
function epochSecondsProblem(field: string, s: string): string | undefined {
  if (!/^\d{1,12}(\.\d+)?$/.test(s)) return `${field} is not epoch seconds: ${JSON.stringify(s.slice(0, 40))}`;
  if (Number(s) > MAX_EPOCH_SECONDS) return `${field} ${s} is past year 9999`;
  return undefined;
}

function nonNegative(field: string, n: bigint): string | undefined {
  return n < 0n ? `${field} is negative (${n})` : undefined;
}

export function dockerEventProblem(value: unknown): string | undefined {
  const e = value as DockerEvent;
  if (e.agent.id === "") return "agent.id is empty";
  const received = nonNegative("receivedAtNano", e.receivedAtNano);
  if (received) return received;
  if (e.event) {
    if (e.event.time < 0n || e.event.time > BigInt(MAX_EPOCH_SECONDS)) return `event.time ${e.event.time} is not a time (0..year 9999)`;
    const nano = nonNegative("event.timeNano", e.event.timeNano);
    if (nano) return nano;
  }
  if (e.gap) return nonNegative("gap.fromNano", e.gap.fromNano) ?? nonNegative("gap.toNano", e.gap.toNano);
  return undefined;
}

export function decodedEventProblem(value: unknown): string | undefined {
  const e = value as DecodedEvent;
  if (e.agent.id === "") return "agent.id is empty";
  if (!isDate(e.timestamp)) return `timestamp is not a date: ${JSON.stringify(e.timestamp.slice(0, 40))}`;
  return epochSecondsProblem("docker.time", e.docker.time) ?? nonNegative("receivedAtNano", e.receivedAtNano);
}

export function alertProblem(value: unknown): string | undefined {
  const a = value as Alert;
  if (a.id === "") return "id is empty";
  if (new TextEncoder().encode(a.id).length > MAX_ALERT_ID_BYTES) return `id is longer than ${MAX_ALERT_ID_BYTES} bytes`;
  if (!isDate(a.timestamp)) return `timestamp is not a date: ${JSON.stringify(a.timestamp.slice(0, 40))}`;
  if (!Number.isInteger(a.rule.level) || a.rule.level < 0 || a.rule.level > MAX_RULE_LEVEL) return `rule.level ${a.rule.level} is not 0..${MAX_RULE_LEVEL}`;
  if (a.rule.id === "") return "rule.id is empty";
  return epochSecondsProblem("data.docker.time", a.data.docker.time);
}

/** The checks by record name (the names of schemas/*.avsc), for the codec's decode. */
export const CONTRACT_CHECKS: Readonly<Record<string, ContractCheck>> = {
  DockerEvent: dockerEventProblem,
  DecodedEvent: decodedEventProblem,
  Alert: alertProblem,
};

/**
 * The Alert an alert document (ALERTS_FORMAT=json, alertDocument's output)
 * stands for: what alertDocument left out put back (empty compliance lists and
 * mitre, null full_log, container and data.docker fields), so the document can
 * be checked against the Alert schema. Anything that is not an object comes
 * back as is, for the schema check to refuse.
 */
export function alertFromDocument(doc: unknown): unknown {
  if (!isObject(doc)) return doc;
  const { rule, data } = doc;
  const docker = isObject(data) && isObject(data.docker) ? data.docker : undefined;
  return {
    ...doc,
    full_log: doc.full_log ?? null,
    container: doc.container ?? null,
    rule: isObject(rule)
      ? { pci_dss: [], gdpr: [], hipaa: [], nist_800_53: [], tsc: [], mitre: { id: [], tactic: [], technique: [] }, ...rule }
      : rule,
    data: docker && isObject(data) ? { ...data, docker: { status: null, id: null, from: null, scope: null, ...docker } } : data,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

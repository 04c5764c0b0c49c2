// Hostile messages for each topic a stage consumes: pure, given an encoder.
// Every kind but "oversize" is no valid value of its topic's contract and must
// end in the DLQ with a reason. An oversize message is a valid record padded
// close to the broker's limit: a stage must either carry it through (cut, with
// its alert) or dead-letter it; losing it silently is the failure.
import { randomBytes } from "node:crypto";
import type { Alert, DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { alertDocument } from "@dockwatch/contracts";

export type HostileTopic = "raw" | "decoded" | "alerts";
export const HOSTILE_TOPICS: HostileTopic[] = ["raw", "decoded", "alerts"];
export const HOSTILE_KINDS = ["random-bytes", "truncated", "wrong-schema", "unknown-schema", "missing-fields", "absurd-fields"] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number] | "oversize";

export interface HostileMessage {
  key: string;
  value: Buffer;
  kind: HostileKind;
}

/** Valid values of the three contracts, to break in each way (from the workload: real shapes). */
export interface Samples {
  raw: DockerEvent;
  decoded: DecodedEvent;
  alert: Alert;
}

export type Encode = (schema: "DockerEvent" | "DecodedEvent" | "Alert", value: unknown) => Buffer;

const SCHEMA_OF: Record<HostileTopic, "DockerEvent" | "DecodedEvent" | "Alert"> = { raw: "DockerEvent", decoded: "DecodedEvent", alerts: "Alert" };
/** A valid record of another topic: each stage must refuse the neighbour's contract. */
const WRONG_OF: Record<HostileTopic, "DockerEvent" | "DecodedEvent" | "Alert"> = { raw: "Alert", decoded: "DockerEvent", alerts: "DecodedEvent" };

/**
 * Bytes of padding in an oversize message: the record stays under Kafka's
 * default 1 MiB message limit (a raw record carries it twice, in its
 * attribute and in the engine line) and far over every stage's field bounds.
 */
export const OVERSIZE_BYTES = { raw: 400_000, decoded: 800_000, alerts: 800_000 } as const;

export function hostileKey(scenario: string, topic: HostileTopic, kind: HostileKind, n: number): string {
  return `hostile|${scenario}|${topic}|${kind}|${n}`;
}

/** The topic and kind a hostile key names, or undefined for any other key. */
export function parseHostileKey(key: string): { scenario: string; topic: HostileTopic; kind: HostileKind } | undefined {
  const [tag, scenario, topic, kind] = key.split("|");
  if (tag !== "hostile" || !scenario || !topic || !kind) return undefined;
  return { scenario, topic: topic as HostileTopic, kind: kind as HostileKind };
}

function absurd(topic: HostileTopic, s: Samples, variant: number): unknown {
  if (topic === "raw") {
    const e = s.raw.event!;
    const variants: DockerEvent[] = [
      { ...s.raw, event: { ...e, timeNano: -1_000_000_000n, time: -1n } },
      { ...s.raw, event: { ...e, Actor: { ...e.Actor, ID: "" } } },
      { ...s.raw, agent: { ...s.raw.agent, id: "" }, receivedAtNano: -5n },
    ];
    return variants[variant % variants.length];
  }
  if (topic === "decoded") {
    const variants: DecodedEvent[] = [
      { ...s.decoded, docker: { ...s.decoded.docker, timeNano: "-1", time: -1n as never } },
      { ...s.decoded, docker: { ...s.decoded.docker, Actor: { ...s.decoded.docker.Actor, ID: "" } } },
      { ...s.decoded, agent: { ...s.decoded.agent, id: "" } },
    ];
    return variants[variant % variants.length];
  }
  const variants: Alert[] = [
    { ...s.alert, rule: { ...s.alert.rule, level: -7 } },
    { ...s.alert, timestamp: "not a date" },
    { ...s.alert, id: "" },
  ];
  return variants[variant % variants.length];
}

/** One hostile message of `kind` for `topic`; n varies it (and makes the key unique). */
export function hostileMessage(scenario: string, topic: HostileTopic, kind: HostileKind, n: number, s: Samples, encode: Encode): HostileMessage {
  const key = hostileKey(scenario, topic, kind, n);
  const sample = topic === "raw" ? s.raw : topic === "decoded" ? s.decoded : s.alert;
  const valid = () => encode(SCHEMA_OF[topic], sample);
  let value: Buffer;
  switch (kind) {
    case "random-bytes":
      value = randomBytes(1 + (n % 512));
      break;
    case "truncated": {
      // Cut a valid record (Avro, or the JSON of an alert every other time) short.
      const whole = topic === "alerts" && n % 2 === 1 ? Buffer.from(JSON.stringify(alertDocument(s.alert))) : valid();
      value = whole.subarray(0, Math.max(1, Math.floor((whole.length * ((n % 9) + 1)) / 10) - 1));
      break;
    }
    case "wrong-schema":
      value = encode(WRONG_OF[topic], WRONG_OF[topic] === "DockerEvent" ? s.raw : WRONG_OF[topic] === "DecodedEvent" ? s.decoded : s.alert);
      break;
    case "unknown-schema": {
      // Single-object encoding with a fingerprint no schema has: a writer nobody registered.
      const body = valid();
      value = Buffer.concat([body.subarray(0, 2), randomBytes(8), body.subarray(10)]);
      break;
    }
    case "missing-fields":
      // JSON is what a hand-written producer sends; {"id":"poison"} is the issue's own example.
      value = Buffer.from(n % 3 === 0 ? JSON.stringify({ id: "poison" }) : JSON.stringify({ id: `poison-${n}`, rule: { level: 3 } }));
      break;
    case "absurd-fields":
      value = encode(SCHEMA_OF[topic], absurd(topic, s, n));
      break;
    case "oversize":
      throw new Error("oversize messages are built by oversizeRecord (they carry alerts)");
  }
  return { key, value, kind };
}

/**
 * `count` hostile messages for `topic`, the kinds in turn; the per-kind
 * sequence number keeps keys unique.
 */
export function hostileBatch(scenario: string, topic: HostileTopic, count: number, s: Samples, encode: Encode): HostileMessage[] {
  const out: HostileMessage[] = [];
  for (let i = 0; i < count; i++) out.push(hostileMessage(scenario, topic, HOSTILE_KINDS[i % HOSTILE_KINDS.length]!, i, s, encode));
  return out;
}

/** A padding string of `bytes` ASCII characters. */
export function padding(bytes: number): string {
  return "A".repeat(bytes);
}

// TypeScript shapes of the Avro records in schemas/. Dependency-free so every
// package can share them; avsc reads Avro longs as BigInt (see @dockwatch/codec).

export * from "./topology.js";

export type EventKind = "engine" | "status" | "gap" | "synthesized";

export interface Agent {
  id: string;
  name: string;
  ip: string;
}

export interface Engine {
  id: string;
  hostname: string;
  version: string;
  apiVersion: string;
}

export interface Actor {
  ID: string;
  Attributes: Record<string, string>;
}

/** The engine's event message as the /events API sends it. */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: Actor;
  scope: string | null;
  time: bigint;
  timeNano: bigint;
  status: string | null;
  id: string | null;
  from: string | null;
}

export interface CollectorStatus {
  state: "connected" | "lost" | "heartbeat";
  message: string;
}

export interface Gap {
  fromNano: bigint;
  toNano: bigint;
  dropped: bigint;
  reason: string;
}

export interface Mount {
  type: string;
  source: string;
  destination: string;
  readWrite: boolean;
}

/** Security-relevant facts from the collector's inspect of a container (create/start, then cached). */
export interface ContainerFacts {
  privileged: boolean;
  capAdd: string[];
  mounts: Mount[];
  networkMode: string | null;
  pidMode: string | null;
  ipcMode: string | null;
  utsMode: string | null;
  user: string | null;
  seccompProfile: string | null;
  apparmorProfile: string | null;
  restartPolicy: string | null;
  image: string | null;
  imageId: string | null;
}

/** Value of docker.events.raw (schemas/DockerEvent.avsc). */
export interface DockerEvent {
  kind: EventKind;
  agent: Agent;
  engine: Engine;
  receivedAtNano: bigint;
  event: EngineEvent | null;
  raw: string | null;
  status: CollectorStatus | null;
  gap: Gap | null;
  inspect: ContainerFacts | null;
}

/** data.docker of the seed's alerts: the Wazuh view, times as exact decimal strings. */
export interface WazuhDocker {
  status: string | null;
  id: string | null;
  from: string | null;
  Type: string;
  Action: string;
  Actor: Actor;
  scope: string | null;
  time: string;
  timeNano: string;
}

export interface ContainerFields {
  id: string;
  name: string | null;
  imageName: string | null;
  labels: Record<string, string>;
}

/** Value of docker.events.decoded (schemas/DecodedEvent.avsc). */
export interface DecodedEvent {
  kind: EventKind;
  agent: Agent;
  engine: Engine;
  docker: WazuhDocker;
  fullLog: string;
  timestamp: string;
  event: { action: string; type: string[]; category: string[] };
  container: ContainerFields | null;
  exec: { action: string; command: string; args: string[] } | null;
  inspect: ContainerFacts | null;
  host: { name: string; hostname: string; ip: string };
  message: string | null;
  receivedAtNano: bigint;
}

export interface AlertRule {
  level: number;
  description: string;
  id: string;
  mail: boolean;
  groups: string[];
  pci_dss: string[];
  gdpr: string[];
  hipaa: string[];
  nist_800_53: string[];
  mitre: string[];
}

/** Value of the alerts topic (schemas/Alert.avsc): the seed's alert document. */
export interface Alert {
  timestamp: string;
  rule: AlertRule;
  agent: Agent;
  manager: { name: string };
  id: string;
  cluster: { name: string; node: string };
  full_log: string | null;
  decoder: { name: string };
  data: { integration: string; docker: WazuhDocker };
  location: string;
  dockwatch: { version: string; ruleset: string };
  /** Extra to the seed's keys: the source event's container, for search. */
  container: (ContainerFields & { inspect: ContainerFacts | null }) | null;
}

/**
 * The alert as a JSON document (Elasticsearch, ALERTS_FORMAT=json): the seed's
 * keys, with compliance lists only when the rule has them.
 */
export function alertDocument(alert: Alert): Record<string, unknown> {
  const { pci_dss, gdpr, hipaa, nist_800_53, mitre, ...rule } = alert.rule;
  const compliance = Object.fromEntries(
    Object.entries({ pci_dss, gdpr, hipaa, nist_800_53, mitre }).filter(([, list]) => list.length > 0),
  );
  const { full_log, container, ...rest } = alert;
  return {
    ...rest,
    ...(container ? { container } : {}),
    rule: { ...rule, ...compliance },
    ...(full_log !== null ? { full_log } : {}),
    data: { integration: alert.data.integration, docker: dropNulls(alert.data.docker) },
  };
}

function dropNulls<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as Partial<T>;
}

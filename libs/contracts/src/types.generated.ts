// Generated from schemas/*.avsc by libs/contracts/scripts/generate-types.ts: do not edit.
// After changing a schema, run `npm run generate -w @dockwatch/contracts` and commit the result.

/** One record of the alerts topic: the Wazuh docker alert document (see the seed), plus dockwatch provenance. Key: the actor ID. */
export interface Alert {
  /** When the rules service produced the alert, ISO 8601 with ms and offset. */
  timestamp: string;
  rule: AlertRule;
  agent: AlertAgent;
  manager: Manager;
  /** <event epoch seconds>.<number>, a pure function of the source event. */
  id: string;
  cluster: Cluster;
  full_log: string | null;
  decoder: Decoder;
  data: AlertData;
  location: string;
  dockwatch: Provenance;
  /** Normalized container fields and inspect facts of the source event, for search (an addition to the seed's keys). */
  container: AlertContainer | null;
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
  /** SOC 2 trust services criteria (Wazuh's tsc_ groups). */
  tsc: string[];
  /** MITRE ATT&CK: rule.mitre.{id, tactic, technique}, as in Wazuh's alerts. */
  mitre: AlertMitre;
}

/** As Wazuh writes it: the MITRE ATT&CK technique ids, their technique names (same order) and their tactics. */
export interface AlertMitre {
  id: string[];
  tactic: string[];
  technique: string[];
}

export interface AlertAgent {
  id: string;
  name: string;
  ip: string;
}

export interface Manager {
  name: string;
}

export interface Cluster {
  name: string;
  node: string;
}

export interface Decoder {
  name: string;
}

export interface AlertData {
  integration: string;
  docker: WazuhDocker;
}

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

export interface Actor {
  ID: string;
  Attributes: Record<string, string>;
}

export interface Provenance {
  version: string;
  /** Content hash of the ruleset that produced the alert. */
  ruleset: string;
  /** unavailable: the source event matched a frequency (correlation) rule but the correlation state (Redis) could not be reached, so the event was not counted and no correlation alert can come from it; ok: nothing was skipped (including events no frequency rule counts). */
  correlation: CorrelationState;
  /** The source event had oversized fields cut to the pipeline's byte bounds (DecodedEvent.truncated). */
  truncated: boolean;
}

export type CorrelationState = "ok" | "unavailable";

export interface AlertContainer {
  id: string;
  name: string | null;
  imageName: string | null;
  labels: Record<string, string>;
  /** From the Compose labels com.docker.compose.project and com.docker.compose.service, when the container has them. */
  compose: AlertContainerCompose | null;
  /** From the labels the kubelet (dockershim, cri-dockerd) sets: io.kubernetes.pod.namespace, io.kubernetes.pod.name, io.kubernetes.container.name, when the container has them. */
  kubernetes: AlertContainerKubernetes | null;
  inspect: ContainerFacts | null;
}

export interface AlertContainerCompose {
  project: string | null;
  service: string | null;
}

export interface AlertContainerKubernetes {
  namespace: string | null;
  pod: string | null;
  container: string | null;
}

/** Security-relevant facts from the collector's inspect of the container at create/start. */
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
  /** The image reference the container was created from (Config.Image). */
  image: string | null;
  imageId: string | null;
  /** The container's configured healthcheck command (Config.Healthcheck.Test as the engine gives it, e.g. ["CMD-SHELL", "curl -f http://localhost/"] or ["CMD", "true"]); null when it has none or it is disabled (["NONE"]). */
  healthcheck: string[] | null;
}

export interface Mount {
  type: string;
  source: string;
  destination: string;
  readWrite: boolean;
}

/** One record of docker.events.decoded: the Wazuh-compatible view of an engine event plus ECS-style normalized fields. Key: the actor ID. */
export interface DecodedEvent {
  kind: EventKind;
  agent: Agent;
  engine: Engine;
  /** data.docker as the seed shows it; status/id/from filled from Action/Actor.ID/image when the engine omits them; time and timeNano as exact decimal strings. */
  docker: WazuhDocker;
  /** {"integration": "docker", "docker": {...}} with the engine's event as received, original digits. */
  fullLog: string;
  /** @timestamp: the event time, ISO 8601 UTC with ms. */
  timestamp: string;
  event: EventFields;
  container: ContainerFields | null;
  /** For exec_create/exec_start/exec_die: the action and the command line split into command and arguments (after redaction). With the collector's exec inspect and the container's inspect facts: the exec's user, privilege and whether it is the healthcheck. */
  exec: ExecFields | null;
  inspect: ContainerFacts | null;
  /** ECS host.*: the engine's host as the collector saw it. */
  host: HostFields;
  /** Human text of status and gap records. */
  message: string | null;
  receivedAtNano: bigint;
  /** True when the collector or the decoder cut oversized fields to their byte bounds (each cut value ends with …[truncated N bytes]); rule 130985 alerts on it. */
  truncated: boolean;
}

/** engine: read from the engine's /events stream; status: collector connected to / lost the engine, or heartbeat; gap: events may be missing between two times; synthesized: a state change found by reconciling the container inventory after a gap. */
export type EventKind = "engine" | "status" | "gap" | "synthesized";

/** The collector's identity (AGENT_ID, AGENT_NAME, AGENT_IP). */
export interface Agent {
  id: string;
  name: string;
  ip: string;
}

/** The Docker engine the collector is attached to, from /info and /version at connect. */
export interface Engine {
  id: string;
  hostname: string;
  version: string;
  apiVersion: string;
}

/** ECS event.* */
export interface EventFields {
  action: string;
  type: string[];
  category: string[];
}

/** ECS container.*: the container of a container event, or the container a network or volume event concerns (named from the collector's inventory, the id when unknown). */
export interface ContainerFields {
  id: string;
  name: string | null;
  imageName: string | null;
  labels: Record<string, string>;
  /** From the Compose labels com.docker.compose.project and com.docker.compose.service, when the container has them. */
  compose: ContainerCompose | null;
  /** From the labels the kubelet (dockershim, cri-dockerd) sets: io.kubernetes.pod.namespace, io.kubernetes.pod.name, io.kubernetes.container.name, when the container has them. */
  kubernetes: ContainerKubernetes | null;
}

export interface ContainerCompose {
  project: string | null;
  service: string | null;
}

export interface ContainerKubernetes {
  namespace: string | null;
  pod: string | null;
  container: string | null;
}

export interface ExecFields {
  action: string;
  command: string;
  args: string[];
  /** The exec's own user (docker exec -u), from the collector's exec inspect; null when not given or unknown. */
  user: string | null;
  /** docker exec --privileged, from the exec inspect; null when unknown. */
  privileged: boolean | null;
  /** docker exec -t, from the exec inspect; null when unknown. */
  tty: boolean | null;
  /** The user the exec runs as: its own user, else the container's configured user (inspect.user, empty = root); null when neither is known. */
  effectiveUser: string | null;
  /** effectiveUser is root (empty, root or uid 0, any group); null when unknown. */
  root: boolean | null;
  /** The exec's command is the container's configured healthcheck (CMD-SHELL c runs as /bin/sh -c c; CMD a b as a b). */
  healthcheck: boolean;
}

export interface HostFields {
  name: string;
  hostname: string;
  ip: string;
}

/** One record of docker.events.raw: an engine event as the collector received it, or a status/gap record of the collector itself. Key: the actor ID (engine ID for status and gap records). */
export interface DockerEvent {
  kind: EventKind;
  agent: Agent;
  engine: Engine;
  /** Collector receive time, nanoseconds since the epoch. */
  receivedAtNano: bigint;
  event: EngineEvent | null;
  /** The engine's JSON line exactly as received (every field, original digits). Null for status, gap and synthesized records. */
  raw: string | null;
  status: CollectorStatus | null;
  gap: Gap | null;
  inspect: ContainerFacts | null;
  /** For exec_create/exec_start/exec_die events: the exec as the engine describes it (GET /exec/{id}/json), looked up by the collector; null when not an exec event or the exec is gone. */
  execInspect: ExecFacts | null;
  /** For events of another type that concern a container (network connect/disconnect, volume mount/unmount: the container attribute): that container's id and its name from the collector's inventory (null when unknown). */
  container: RelatedContainer | null;
  /** True when the collector cut oversized fields (labels, attributes, exec command, raw line, inspect facts) to its byte bounds; each cut value ends with …[truncated N bytes]. */
  truncated: boolean;
}

/** The engine's event message (API /events). Deprecated status/id/from are null when a newer engine omits them. */
export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: Actor;
  scope: string | null;
  /** Seconds since the epoch. */
  time: bigint;
  /** Nanoseconds since the epoch; above 2^53, read as BigInt. */
  timeNano: bigint;
  status: string | null;
  id: string | null;
  from: string | null;
}

export interface CollectorStatus {
  state: CollectorState;
  message: string;
}

export type CollectorState = "connected" | "lost" | "heartbeat";

/** Events between fromNano and toNano may be missing; dropped counts events discarded by a full spool. */
export interface Gap {
  fromNano: bigint;
  toNano: bigint;
  dropped: bigint;
  reason: string;
}

export interface ExecFacts {
  /** The exec id (the event's execID attribute). */
  id: string;
  /** ProcessConfig.user: the exec's own user (docker exec -u); empty or null when not given, so the container's user applies. */
  user: string | null;
  /** ProcessConfig.privileged (docker exec --privileged). */
  privileged: boolean;
  /** ProcessConfig.tty (docker exec -t). */
  tty: boolean;
  /** ProcessConfig.entrypoint: the program run. */
  entrypoint: string;
  /** ProcessConfig.arguments. */
  arguments: string[];
}

export interface RelatedContainer {
  id: string;
  name: string | null;
}

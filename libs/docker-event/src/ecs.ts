import type { ContainerFields, DockerEvent, EngineEvent } from "@dockwatch/contracts";

/**
 * ECS-style event.category / event.type for each Docker event Type and Action
 * (ECS categorization fields: https://www.elastic.co/guide/en/ecs/current/ecs-allowed-values-event-category.html).
 * ECS has no "container" category, so a container's lifecycle is a process's.
 * The table is the documentation: README.md repeats it.
 */

export interface EcsCategorization {
  category: string[];
  type: string[];
}

interface TypeMapping {
  category: string[];
  /** By action word (the part of Action before ":", e.g. `exec_start`, `health_status`). */
  actions: Record<string, string[]>;
}

const LIFECYCLE = { create: ["creation"], update: ["change"], remove: ["deletion"] };

export const ECS_BY_TYPE: Record<string, TypeMapping> = {
  container: {
    category: ["process"],
    actions: {
      create: ["creation"],
      start: ["start"],
      restart: ["start"],
      unpause: ["start"],
      exec_create: ["creation"],
      exec_start: ["start"],
      stop: ["end"],
      die: ["end"],
      kill: ["end"],
      oom: ["end", "error"],
      exec_die: ["end"],
      exec_detach: ["end"],
      pause: ["change"],
      rename: ["change"],
      update: ["change"],
      commit: ["creation"],
      "extract-to-dir": ["change"],
      destroy: ["deletion"],
      attach: ["access"],
      detach: ["access"],
      export: ["access"],
      "archive-path": ["access"],
      top: ["access"],
      health_status: ["info"],
      resize: ["info"],
    },
  },
  image: {
    category: ["package"],
    actions: {
      pull: ["installation"],
      import: ["installation"],
      load: ["installation"],
      push: ["access"],
      save: ["access"],
      tag: ["change"],
      untag: ["change"],
      delete: ["deletion"],
      prune: ["deletion"],
    },
  },
  volume: { category: ["file"], actions: { create: ["creation"], mount: ["access"], unmount: ["access"], destroy: ["deletion"], prune: ["deletion"] } },
  network: {
    category: ["network"],
    actions: { create: ["creation"], connect: ["connection"], disconnect: ["end"], destroy: ["deletion"], remove: ["deletion"], prune: ["deletion"] },
  },
  plugin: { category: ["package"], actions: { install: ["installation"], enable: ["start"], disable: ["end"], remove: ["deletion"] } },
  daemon: { category: ["host", "configuration"], actions: { reload: ["change"] } },
  service: { category: ["configuration"], actions: LIFECYCLE },
  node: { category: ["host"], actions: LIFECYCLE },
  secret: { category: ["configuration"], actions: LIFECYCLE },
  config: { category: ["configuration"], actions: LIFECYCLE },
  builder: { category: ["package"], actions: { prune: ["deletion"] } },
  // The collector's own status and gap records.
  dockwatch: { category: ["host"], actions: { gap: ["error"] } },
};

/** The action word: `exec_start: sh -c ls` -> `exec_start`, `health_status: healthy` -> `health_status`. */
export function actionWord(action: string): string {
  return action.split(":")[0]!.trim();
}

export function categorize(type: string, action: string): EcsCategorization {
  const mapping = ECS_BY_TYPE[type];
  return {
    category: mapping ? [...mapping.category] : [],
    type: [...(mapping?.actions[actionWord(action)] ?? ["info"])],
  };
}

/**
 * Actor.Attributes of a container event are its labels plus a few keys the
 * engine adds itself; those are not labels. A user label with one of these
 * names is indistinguishable and is left out too (documented).
 */
export const NON_LABEL_ATTRIBUTES: ReadonlySet<string> = new Set([
  "name",
  "image",
  "exitCode", // die, exec_die
  "execDuration", // die on newer engines
  "signal", // kill
  "execID", // exec_*
  "oldName", // rename
  "comment", // commit
  "imageID", // commit
  "imageRef", // commit
]);

export function containerLabels(attributes: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter(([k]) => !NON_LABEL_ATTRIBUTES.has(k)));
}

const label = (labels: Record<string, string>, key: string): string | null => labels[key] || null;

/** The Compose project and service a container belongs to, from the labels Compose sets; null when it has none. */
export function composeFields(labels: Record<string, string>): ContainerFields["compose"] {
  const project = label(labels, "com.docker.compose.project");
  const service = label(labels, "com.docker.compose.service");
  return project || service ? { project, service } : null;
}

/** The pod a container runs for, from the labels the kubelet sets (dockershim, cri-dockerd); null when it has none. */
export function kubernetesFields(labels: Record<string, string>): ContainerFields["kubernetes"] {
  const namespace = label(labels, "io.kubernetes.pod.namespace");
  const pod = label(labels, "io.kubernetes.pod.name");
  const container = label(labels, "io.kubernetes.container.name");
  return namespace || pod || container ? { namespace, pod, container } : null;
}

/**
 * container.* of a decoded event: the container of a container event, with
 * its labels and the Compose/Kubernetes identity they carry; for a network or
 * volume event, the container it concerns, named from the collector's
 * inventory (the id when the name is unknown, so a description never ends up
 * empty). Null for events that concern no container.
 */
export function containerFields(ev: EngineEvent, related: DockerEvent["container"]): ContainerFields | null {
  const attributes = ev.Actor.Attributes;
  if (ev.Type === "container") {
    const labels = containerLabels(attributes);
    return { id: ev.Actor.ID, name: attributes.name ?? null, imageName: attributes.image ?? null, labels, compose: composeFields(labels), kubernetes: kubernetesFields(labels) };
  }
  // A record of an older collector has no `container`: the attribute still gives the id.
  const concerned = related ?? (attributes.container ? { id: attributes.container, name: null } : null);
  if (!concerned) return null;
  return { id: concerned.id, name: concerned.name ?? concerned.id, imageName: null, labels: {}, compose: null, kubernetes: null };
}

import type { ContainerFacts, ExecFacts } from "@dockwatch/contracts";

/** The parts of GET /containers/{id}/json the facts come from. */
export interface ContainerInspect {
  Id?: string;
  Name?: string;
  Image?: string;
  Created?: string;
  AppArmorProfile?: string;
  State?: { Status?: string; Running?: boolean; Paused?: boolean; StartedAt?: string; FinishedAt?: string };
  Config?: { User?: string; Image?: string; Healthcheck?: { Test?: string[] | null } | null };
  HostConfig?: {
    Privileged?: boolean;
    CapAdd?: string[] | null;
    NetworkMode?: string;
    PidMode?: string;
    IpcMode?: string;
    UTSMode?: string;
    SecurityOpt?: string[] | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  };
  Mounts?: { Type?: string; Source?: string; Destination?: string; RW?: boolean }[] | null;
}

/** The parts of GET /exec/{id}/json the exec facts come from. */
export interface ExecInspect {
  ID?: string;
  ProcessConfig?: { user?: string; privileged?: boolean; tty?: boolean; entrypoint?: string; arguments?: string[] | null };
}

const orNull = (v: string | undefined | null): string | null => (v === undefined || v === null || v === "" ? null : v);

/** A SecurityOpt value such as `seccomp=unconfined` or the legacy `seccomp:unconfined`. */
function securityOpt(opts: string[] | null | undefined, name: string): string | null {
  for (const opt of opts ?? []) {
    const m = new RegExp(`^${name}[=:](.*)$`).exec(opt);
    if (m) return m[1] ?? null;
  }
  return null;
}

/** Config.Healthcheck.Test, or null when the container has none: unset, empty, or disabled with ["NONE"]. */
function healthcheckTest(test: string[] | null | undefined): string[] | null {
  if (!test || test.length === 0 || test[0] === "NONE") return null;
  return test;
}

/** The security-relevant facts of a container inspect (schemas/DockerEvent.avsc ContainerFacts). */
export function factsFromInspect(inspect: ContainerInspect): ContainerFacts {
  const host = inspect.HostConfig ?? {};
  const policy = host.RestartPolicy?.Name;
  return {
    privileged: host.Privileged === true,
    capAdd: host.CapAdd ?? [],
    mounts: (inspect.Mounts ?? []).map((m) => ({
      type: m.Type ?? "bind",
      source: m.Source ?? "",
      destination: m.Destination ?? "",
      readWrite: m.RW === true,
    })),
    networkMode: orNull(host.NetworkMode),
    pidMode: orNull(host.PidMode),
    ipcMode: orNull(host.IpcMode),
    utsMode: orNull(host.UTSMode),
    // "" is meaningful here: no configured user means the container runs as root.
    user: inspect.Config?.User ?? null,
    seccompProfile: securityOpt(host.SecurityOpt, "seccomp"),
    apparmorProfile: orNull(inspect.AppArmorProfile) ?? securityOpt(host.SecurityOpt, "apparmor"),
    restartPolicy: policy === "on-failure" && host.RestartPolicy?.MaximumRetryCount ? `on-failure:${host.RestartPolicy.MaximumRetryCount}` : orNull(policy),
    image: orNull(inspect.Config?.Image),
    imageId: orNull(inspect.Image),
    healthcheck: healthcheckTest(inspect.Config?.Healthcheck?.Test),
  };
}

/**
 * The exec's own user, privilege, tty and command line. The arguments are
 * whoever ran the exec's: the record's byte bounds (bound.ts in
 * libs/docker-event) cut them, visibly, with the rest of the record.
 */
export function execFactsFromInspect(id: string, inspect: ExecInspect): ExecFacts {
  const p = inspect.ProcessConfig ?? {};
  return {
    id,
    user: orNull(p.user),
    privileged: p.privileged === true,
    tty: p.tty === true,
    entrypoint: p.entrypoint ?? "",
    arguments: p.arguments ?? [],
  };
}

/** A bounded least-recently-used map (Map keeps insertion order; a get re-inserts). */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * An RFC 3339 time with up to nanosecond digits (the engine's State.StartedAt)
 * -> nanoseconds since the epoch, exactly; undefined for the zero time.
 */
export function dockerTimeToNanos(iso: string | undefined): bigint | undefined {
  if (!iso) return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds) || seconds <= 0) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

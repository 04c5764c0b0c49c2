import type { Engine } from "@dockwatch/contracts";
import { LineSplitter } from "@dockwatch/docker-event";
import { DependencyError, DockwatchError } from "@dockwatch/errors";
import Docker from "dockerode";
import { engineTimeParam } from "./checkpoint.js";
import { listedState, type ListedContainer } from "./inventory.js";

/** Newest Engine API this collector knows; engines that speak less are used at their own version. */
export const MAX_API_VERSION = "1.52";

export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split(".").map(Number);
  const [bmaj = 0, bmin = 0] = b.split(".").map(Number);
  return amaj - bmaj || amin - bmin;
}

/** The API version to speak: the engine's own, capped at the newest we know. */
export function negotiateApiVersion(engineApiVersion: string): string {
  return compareApiVersions(engineApiVersion, MAX_API_VERSION) > 0 ? MAX_API_VERSION : engineApiVersion;
}

export interface EngineConnection {
  docker: Docker;
  engine: Engine;
}

/**
 * Connects to DOCKER_HOST (docker-modem reads DOCKER_HOST, DOCKER_TLS_VERIFY
 * and DOCKER_CERT_PATH, Docker's own conventions), asks /version which API the
 * engine speaks, and from then on uses versioned paths: Docker 29 refuses
 * unversioned calls below API 1.44 and older engines refuse newer versions.
 */
export async function connectEngine(): Promise<EngineConnection> {
  const probe = new Docker();
  const version = await engineCall("version", () => probe.version());
  const apiVersion = negotiateApiVersion(version.ApiVersion);
  const docker = new Docker({ version: `v${apiVersion}` });
  const info = (await engineCall("info", () => docker.info())) as { ID?: string; Name?: string; ServerVersion?: string };
  return {
    docker,
    engine: {
      id: info.ID ?? "unknown",
      hostname: info.Name ?? "unknown",
      version: info.ServerVersion ?? version.Version,
      apiVersion,
    },
  };
}

/**
 * The engine's failures are a dependency's: a socket error (errno code such as
 * ECONNREFUSED, ENOENT when dockerd is stopped, ECONNRESET) or an HTTP error
 * of its API (docker-modem's statusCode) becomes a DependencyError, retried.
 * Anything else is left as it is: unknown, so a bug is not taken for an outage.
 */
export function engineError(err: unknown, doing: string): unknown {
  if (err instanceof DockwatchError || typeof err !== "object" || err === null) return err;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  if ((typeof code === "string" && /^E[A-Z]+$/.test(code)) || typeof statusCode === "number") {
    return new DependencyError("engine-unavailable", `Docker engine: ${doing} failed: ${(err as Error).message}`, { cause: err });
  }
  return err;
}

async function engineCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw engineError(err, doing);
  }
}

export const listContainers = async (docker: Docker): Promise<ListedContainer[]> =>
  (await engineCall("list containers", () => docker.listContainers({ all: true }))).map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? "").replace(/^\//, ""),
    image: c.Image,
    state: listedState(c.State),
  }));

export type EventStream = NodeJS.ReadableStream & { destroy(): void };

/** GET /events: with `until` a bounded read of the engine's history, without it the live stream (`since` is inclusive). */
export const openEvents = async (docker: Docker, range: { since?: bigint; until?: bigint }): Promise<EventStream> =>
  (await engineCall(
    "events",
    // dockerode's types want numbers; the engine takes `seconds.nanoseconds` strings, which keep the precision.
    () =>
      docker.getEvents({
        ...(range.since !== undefined ? { since: engineTimeParam(range.since) } : {}),
        ...(range.until !== undefined ? { until: engineTimeParam(range.until) } : {}),
      } as never) as unknown as Promise<EventStream>,
  )) as EventStream;

/** The lines of an /events response as they arrive; a broken stream is the engine's failure. */
export async function* engineLines(stream: EventStream): AsyncGenerator<string> {
  const splitter = new LineSplitter();
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) yield* splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  } catch (err) {
    throw engineError(err, "reading events");
  }
  const partial = splitter.flush();
  if (partial) yield partial;
}

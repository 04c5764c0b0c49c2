import type { Engine } from "@dockwatch/contracts";
import Docker from "dockerode";

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
  const version = await probe.version();
  const apiVersion = negotiateApiVersion(version.ApiVersion);
  const docker = new Docker({ version: `v${apiVersion}` });
  const info = (await docker.info()) as { ID?: string; Name?: string; ServerVersion?: string };
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

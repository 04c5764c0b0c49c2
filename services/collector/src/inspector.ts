import type { ContainerFacts, EngineEvent } from "@dockwatch/contracts";
import type { Metrics } from "@dockwatch/runtime";
import type Docker from "dockerode";
import { LruCache, factsFromInspect, type ContainerInspect } from "./facts.js";

export interface Inspector {
  /** The container's inspect, or undefined when it is already gone (short-lived containers). */
  inspect(docker: Docker, id: string): Promise<ContainerInspect | undefined>;
  /** Inspect on create and start, once; later events of the container reuse the cached facts. */
  factsFor(docker: Docker, event: EngineEvent): Promise<ContainerFacts | null>;
  /** What the cache still knows about a container. */
  cached(id: string): ContainerFacts | undefined;
}

export function createInspector({ cacheSize, metrics }: { cacheSize: number; metrics: Metrics }): Inspector {
  const facts = new LruCache<string, ContainerFacts>(cacheSize);

  async function inspect(docker: Docker, id: string): Promise<ContainerInspect | undefined> {
    const started = process.hrtime.bigint();
    try {
      return (await docker.getContainer(id).inspect()) as ContainerInspect;
    } catch {
      return undefined; // already removed (short-lived container): its events go without facts
    } finally {
      metrics.inc("inspect_total", "container inspects");
      metrics.inc("inspect_seconds_total", "time spent in container inspects", Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  return {
    inspect,
    async factsFor(docker, e) {
      if (e.Type !== "container") return null;
      let f = facts.get(e.Actor.ID);
      if (!f && (e.Action === "create" || e.Action === "start")) {
        const ins = await inspect(docker, e.Actor.ID);
        if (ins) {
          f = factsFromInspect(ins);
          facts.set(e.Actor.ID, f);
        }
      }
      if (e.Action === "destroy") facts.delete(e.Actor.ID);
      return f ?? null;
    },
    cached: (id) => facts.get(id),
  };
}

import type { ContainerFacts, EngineEvent, ExecFacts } from "@dockwatch/contracts";
import type { Metrics } from "@dockwatch/runtime";
import type Docker from "dockerode";
import { LruCache, execFactsFromInspect, factsFromInspect, type ContainerInspect, type ExecInspect } from "./facts.js";

export interface Inspector {
  /** The container's inspect, or undefined when it is already gone (short-lived containers). */
  inspect(docker: Docker, id: string): Promise<ContainerInspect | undefined>;
  /**
   * The container's facts for its event: inspected on create, start and an
   * exec's create/start when not known yet (an exec into a container started
   * before the collector still needs its user and healthcheck), then cached.
   */
  factsFor(docker: Docker, event: EngineEvent): Promise<ContainerFacts | null>;
  /** The exec's own facts for exec_create/exec_start/exec_die (GET /exec/{id}/json, once per exec); null for other events or a gone exec. */
  execFor(docker: Docker, event: EngineEvent): Promise<ExecFacts | null>;
  /** What the cache still knows about a container. */
  cached(id: string): ContainerFacts | undefined;
}

export interface InspectorSettings {
  cacheSize: number;
  metrics: Metrics;
}

/** The events whose container is inspected when the cache does not know it. */
const INSPECTED_ON = /^(?:create|start|exec_create|exec_start)(?::|$)/;
/** exec_create/exec_start/exec_die, with or without the command the engine appends (`exec_start: sh -c id`). */
const EXEC_ACTION = /^exec_(create|start|die)(?::|$)/;

export function createInspector({ cacheSize, metrics }: InspectorSettings): Inspector {
  const facts = new LruCache<string, ContainerFacts>(cacheSize);
  const execs = new LruCache<string, ExecFacts>(cacheSize);

  async function timed<T>(kind: "inspect" | "exec_inspect", what: string, call: () => Promise<T>): Promise<T | undefined> {
    const started = process.hrtime.bigint();
    try {
      return await call();
    } catch {
      return undefined; // already removed (short-lived container, finished exec): the event goes without facts
    } finally {
      metrics.inc(`${kind}_total`, `${what} inspects`);
      metrics.inc(`${kind}_seconds_total`, `time spent in ${what} inspects`, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  const inspect = (docker: Docker, id: string) => timed("inspect", "container", async () => (await docker.getContainer(id).inspect()) as ContainerInspect);

  return {
    inspect,
    async factsFor(docker, e) {
      if (e.Type !== "container") return null;
      let f = facts.get(e.Actor.ID);
      if (!f && INSPECTED_ON.test(e.Action)) {
        const ins = await inspect(docker, e.Actor.ID);
        if (ins) {
          f = factsFromInspect(ins);
          facts.set(e.Actor.ID, f);
        }
      }
      if (e.Action === "destroy") facts.delete(e.Actor.ID);
      return f ?? null;
    },
    async execFor(docker, e) {
      const action = e.Type === "container" ? EXEC_ACTION.exec(e.Action)?.[1] : undefined;
      const id = e.Actor.Attributes.execID;
      if (!action || !id) return null;
      let f = execs.get(id);
      if (!f && action !== "die") {
        const ins = await timed("exec_inspect", "exec", async () => (await docker.getExec(id).inspect()) as ExecInspect);
        if (ins) {
          f = execFactsFromInspect(id, ins);
          execs.set(id, f);
        }
      }
      // exec_die is the exec's last event: its facts go with it, then the cache forgets it.
      if (action === "die") execs.delete(id);
      return f ?? null;
    },
    cached: (id) => facts.get(id),
  };
}

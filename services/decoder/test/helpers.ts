import type { DockerEvent, EngineEvent } from "@dockwatch/contracts";
import { isLosslessNumber, parse } from "lossless-json";

export const agent = { id: "002", name: "agent001", ip: "192.168.122.19" };
export const engine = { id: "ENGINE", hostname: "host", version: "20.10.24", apiVersion: "1.41" };

/** What the collector publishes for an engine line (its lossless parse, like the collector's). */
export function rawFromEngineLine(line: string): DockerEvent {
  const j = parse(line) as Record<string, unknown> & { Actor: { ID: string; Attributes: Record<string, string> } };
  const big = (v: unknown) => BigInt(isLosslessNumber(v) ? v.value : String(v));
  const event: EngineEvent = {
    Type: String(j.Type),
    Action: String(j.Action),
    Actor: j.Actor,
    scope: (j.scope as string) ?? null,
    time: big(j.time),
    timeNano: big(j.timeNano),
    status: (j.status as string) ?? null,
    id: (j.id as string) ?? null,
    from: (j.from as string) ?? null,
  };
  return { kind: "engine", agent, engine, receivedAtNano: event.timeNano + 1000n, event, raw: line, status: null, gap: null, inspect: null };
}

/** An old-format (API 1.41) container event line, as dockerd 20.10 writes it. */
export function containerLine(action: string, attributes: Record<string, string> = {}, id = "c9f42f363d26"): string {
  const attrs = { image: "dockwatch/busybox:1.35.0", name: "web", ...attributes };
  const head = JSON.stringify({
    status: action,
    id,
    from: attrs.image,
    Type: "container",
    Action: action,
    Actor: { ID: id, Attributes: attrs },
    scope: "local",
  });
  return `${head.slice(0, -1)},"time":1795873684,"timeNano":1795873684909518378}`;
}

/** Every string in a value, map keys included (what "any output field" means). */
export function allStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) allStrings(v, out);
  else if (value !== null && typeof value === "object" && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      allStrings(v, out);
    }
  }
  return out;
}

/**
 * Builders for tests of any package that handles Docker events: the record the
 * collector publishes for an engine line, parsed by the collector's own parser.
 */
import type { DockerEvent } from "@dockwatch/contracts";
import { parseEngineLine } from "./engine-event.js";

export const agent = { id: "002", name: "agent001", ip: "192.168.122.19" };
export const engine = { id: "ENGINE", hostname: "host", version: "20.10.24", apiVersion: "1.41" };

/** What the collector publishes for an engine line (parsed by the collector's own parser). */
export function rawFromEngineLine(line: string): DockerEvent {
  const event = parseEngineLine(line);
  return { kind: "engine", agent, engine, receivedAtNano: event.timeNano + 1000n, event, raw: line, status: null, gap: null, inspect: null, execInspect: null, container: null, truncated: false };
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

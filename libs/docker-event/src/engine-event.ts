import { RecordError } from "@dockwatch/errors";
import type { EngineEvent } from "@dockwatch/contracts";
import { isLosslessNumber, parse } from "lossless-json";

/** An engine line that is not an event: a record error (the collector publishes it as such, never retries it). */
export class EngineLineError extends RecordError {
  constructor(message: string) {
    super("not-an-event", message);
  }
}

const asString = (v: unknown): string | null => (typeof v === "string" ? v : null);

function asBigInt(v: unknown, field: string): bigint {
  if (isLosslessNumber(v) && /^\d+$/.test(v.value)) return BigInt(v.value);
  throw new EngineLineError(`field ${field} is not a non-negative integer`);
}

/**
 * One line of the engine's /events stream -> EngineEvent, numbers parsed
 * without rounding (timeNano exceeds 2^53). Throws EngineLineError with the
 * reason when the line is not an event.
 */
export function parseEngineLine(line: string): EngineEvent {
  let j: unknown;
  try {
    j = parse(line);
  } catch (err) {
    throw new EngineLineError(`not JSON: ${(err as Error).message}`);
  }
  if (j === null || typeof j !== "object" || Array.isArray(j)) throw new EngineLineError("not a JSON object");
  const o = j as Record<string, unknown>;
  const actor = o.Actor as { ID?: unknown; Attributes?: unknown } | undefined;
  const type = asString(o.Type);
  const action = asString(o.Action);
  if (!type) throw new EngineLineError("missing Type");
  if (!action) throw new EngineLineError("missing Action");
  if (!actor || typeof actor !== "object" || typeof actor.ID !== "string") throw new EngineLineError("missing Actor.ID");
  const attributes: Record<string, string> = {};
  if (actor.Attributes && typeof actor.Attributes === "object") {
    for (const [k, v] of Object.entries(actor.Attributes as Record<string, unknown>)) {
      attributes[k] = typeof v === "string" ? v : isLosslessNumber(v) ? v.value : JSON.stringify(v);
    }
  }
  return {
    Type: type,
    Action: action,
    Actor: { ID: actor.ID, Attributes: attributes },
    scope: asString(o.scope),
    time: asBigInt(o.time, "time"),
    timeNano: asBigInt(o.timeNano, "timeNano"),
    status: asString(o.status),
    id: asString(o.id),
    from: asString(o.from),
  };
}

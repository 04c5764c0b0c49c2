// The names the packages import from @dockwatch/contracts: the types are
// checked by `typecheck` (this file does not compile if one goes missing or
// changes shape), the values at run time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as contracts from "../src/index.js";
import type {
  Actor,
  Agent,
  Alert,
  AlertRule,
  CollectorStatus,
  ContainerFacts,
  ContainerFields,
  DecodedEvent,
  DockerEvent,
  Engine,
  EngineEvent,
  EventKind,
  Gap,
  Mount,
  WazuhDocker,
} from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Mutually assignable (an interface and an intersection of the same shape are not Equal). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const assertType = <T extends true>(_: T) => undefined;

// Longs are BigInt, decimal-string times stay strings, optional means nullable.
assertType<Equal<EngineEvent["timeNano"], bigint>>(true);
assertType<Equal<EngineEvent["time"], bigint>>(true);
assertType<Equal<DockerEvent["receivedAtNano"], bigint>>(true);
assertType<Equal<Gap["dropped"], bigint>>(true);
assertType<Equal<DecodedEvent["receivedAtNano"], bigint>>(true);
assertType<Equal<WazuhDocker["timeNano"], string>>(true);
assertType<Equal<WazuhDocker["status"], string | null>>(true);
assertType<Equal<Alert["full_log"], string | null>>(true);
assertType<Equal<EventKind, "engine" | "status" | "gap" | "synthesized">>(true);
assertType<Equal<CollectorStatus["state"], "connected" | "lost" | "heartbeat">>(true);
assertType<Equal<Actor["Attributes"], Record<string, string>>>(true);
assertType<Equal<ContainerFacts["mounts"], Mount[]>>(true);
assertType<Equal<AlertRule["level"], number>>(true);
// The places where the hand-written types used another record of the same shape.
assertType<Equal<Alert["agent"], Agent>>(true);
assertType<Equal<DockerEvent["engine"], Engine>>(true);
assertType<Same<NonNullable<Alert["container"]>, ContainerFields & { inspect: ContainerFacts | null }>>(true);
assertType<Same<DecodedEvent["event"], { action: string; type: string[]; category: string[] }>>(true);

describe("@dockwatch/contracts", () => {
  it("keeps its value exports", () => {
    for (const name of ["GROUPS", "HEALTH_PORTS", "TOPICS", "alertDocument"]) assert.ok(name in contracts, name);
    // Types only: the generated module adds no value export.
    assert.equal(typeof contracts.alertDocument, "function");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EngineEvent } from "@dockwatch/contracts";
import { execFactsFromInspect, relatedContainer, type Inventory } from "../src/index.js";

describe("exec facts from GET /exec/{id}/json", () => {
  it("keeps the exec's own user, privilege, tty and command line", () => {
    const facts = execFactsFromInspect("e1", { ProcessConfig: { user: "0", privileged: true, tty: true, entrypoint: "sh", arguments: ["-c", "id"] } });
    assert.deepEqual(facts, { id: "e1", user: "0", privileged: true, tty: true, entrypoint: "sh", arguments: ["-c", "id"] });
  });
  it("an exec without -u has no user of its own (the container's applies)", () => {
    const facts = execFactsFromInspect("e2", { ProcessConfig: { user: "", entrypoint: "sh" } });
    assert.deepEqual([facts.user, facts.privileged, facts.tty, facts.arguments], [null, false, false, []]);
  });
});

describe("the container a network or volume event concerns", () => {
  const event = (Type: string, Attributes: Record<string, string>): EngineEvent => ({
    Type,
    Action: "connect",
    Actor: { ID: "net1", Attributes },
    scope: "local",
    time: 1n,
    timeNano: 1n,
    status: null,
    id: null,
    from: null,
  });
  const inventory: Inventory = new Map([["c1", { id: "c1", name: "web", image: "img", state: "running" }]]);
  it("is named from the inventory", () => {
    assert.deepEqual(relatedContainer(inventory, event("network", { container: "c1", name: "bridge" })), { id: "c1", name: "web" });
  });
  it("keeps the id without a name when the inventory does not know it", () => {
    assert.deepEqual(relatedContainer(inventory, event("volume", { container: "c2", destination: "/data" })), { id: "c2", name: null });
  });
  it("is none for events that name no container, and for container events (they are the container)", () => {
    assert.equal(relatedContainer(inventory, event("network", { name: "bridge" })), null);
    assert.equal(relatedContainer(inventory, event("container", { container: "c1" })), null);
  });
});

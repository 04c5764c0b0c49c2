import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withComponents, type Component } from "../src/index.js";

describe("withComponents", () => {
  const recorder = () => {
    const events: string[] = [];
    const component = (name: string, failStart = false): Component => ({
      name,
      start: async () => {
        if (failStart) throw new Error(`${name} cannot start`);
        events.push(`start ${name}`);
      },
      stop: async () => void events.push(`stop ${name}`),
    });
    return { events, component };
  };

  it("starts in order, runs the body, stops in reverse", async () => {
    const { events, component } = recorder();
    const result = await withComponents([component("producer"), component("admin")], async () => {
      events.push("body");
      return 42;
    });
    assert.equal(result, 42);
    assert.deepEqual(events, ["start producer", "start admin", "body", "stop admin", "stop producer"]);
  });

  it("stops what started when a start or the body fails, and keeps the failure", async () => {
    const { events, component } = recorder();
    await assert.rejects(withComponents([component("producer"), component("admin", true)], async () => events.push("body")), /admin cannot start/);
    assert.deepEqual(events, ["start producer", "stop producer"]);
    events.length = 0;
    await assert.rejects(
      withComponents([component("producer")], async () => {
        throw new Error("body failed");
      }),
      /body failed/,
    );
    assert.deepEqual(events, ["start producer", "stop producer"]);
  });
});

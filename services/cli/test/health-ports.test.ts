import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HEALTH_PORTS } from "@dockwatch/contracts";
import { healthPorts } from "../src/services.js";

// The ports `dockwatch up` gives the services and `status` asks: the
// topology's by default, each overridable, a bad one named in one line.
describe("healthPorts", () => {
  it("defaults to the topology's ports", () => {
    assert.deepEqual(healthPorts({}), HEALTH_PORTS);
  });

  it("takes <SERVICE>_HEALTH_PORT for each service on its own", () => {
    assert.deepEqual(healthPorts({ DECODER_HEALTH_PORT: "19482", SINK_HEALTH_PORT: "19484" }), { ...HEALTH_PORTS, decoder: 19482, sink: 19484 });
  });

  it("refuses a port that is not one, naming the variable", () => {
    assert.throws(() => healthPorts({ RULES_HEALTH_PORT: "http" }), /RULES_HEALTH_PORT/);
    assert.throws(() => healthPorts({ COLLECTOR_HEALTH_PORT: "70000" }), /COLLECTOR_HEALTH_PORT/);
  });
});

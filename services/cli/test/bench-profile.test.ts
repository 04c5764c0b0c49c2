import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { placeOf, summarizeProfile, type CpuProfile } from "../scripts/bench/profile.js";

// A small profile as `node --cpu-prof` writes it: a call tree of nodes, the
// node each sample landed in, and the µs before each sample.
const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame("(root)", ""), children: [2, 3, 4, 6] },
    { id: 2, callFrame: frame("(idle)", "") },
    { id: 3, callFrame: frame("(garbage collector)", "") },
    { id: 4, callFrame: frame("processBatch", "file:///repo/libs/kafka/dist/stage.js", 41), children: [5] },
    { id: 5, callFrame: frame("encode", "file:///repo/node_modules/kafkajs/src/protocol/encoder.js", 9) },
    { id: 6, callFrame: frame("", "node:internal/streams/readable", 3) },
  ],
  // idle 4 ms, GC 1 ms, processBatch 2 ms, kafkajs 3 ms, node 1 ms (the first delta is charged too).
  samples: [2, 2, 4, 5, 5, 3, 6, 4, 5, 2],
  timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 2000],
  startTime: 0,
  endTime: 11_000,
};

describe("bench CPU profile summary", () => {
  it("charges each sample's preceding delta to its node, by place and by function, largest first, idle counted but not busy", () => {
    const s = summarizeProfile(profile, 3);
    assert.equal(s.totalMs, 11);
    assert.equal(s.busyMs, 7);
    assert.deepEqual(
      s.byPlace.map((p) => [p.name, p.ms]),
      [
        ["(idle)", 4],
        ["kafkajs", 3],
        ["@dockwatch/kafka", 2],
        ["(garbage collector)", 1],
        ["node", 1],
      ],
    );
    assert.equal(s.byPlace[0]!.share, 4 / 11);
    // Only the top 3 functions; the url made short and the line 1-based.
    assert.deepEqual(
      s.byFunction.map((f) => [f.name, f.ms]),
      [
        ["(idle)", 4],
        ["encode kafkajs/src/protocol/encoder.js:10", 3],
        ["processBatch libs/kafka/dist/stage.js:42", 2],
      ],
    );
  });

  it("places: a scoped or plain package under node_modules, a dockwatch lib or service, node's own code, V8's pseudo-frames", () => {
    assert.equal(placeOf("file:///r/node_modules/@opentelemetry/api/build/x.js", "f"), "@opentelemetry/api");
    assert.equal(placeOf("file:///r/node_modules/a/node_modules/avsc/lib/types.js", "f"), "avsc");
    assert.equal(placeOf("file:///r/services/rules/dist/main.js", "f"), "@dockwatch/rules");
    assert.equal(placeOf("node:net", "f"), "node");
    assert.equal(placeOf("", "(program)"), "(program)");
    assert.equal(placeOf("", "writeUtf8String"), "(native)");
  });

  it("an empty profile sums to zero without dividing by it", () => {
    const s = summarizeProfile({ nodes: [], samples: [], timeDeltas: [], startTime: 0, endTime: 0 });
    assert.deepEqual(s, { totalMs: 0, busyMs: 0, byPlace: [], byFunction: [] });
  });
});

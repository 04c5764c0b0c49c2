import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DependencyError, RecordError } from "@dockwatch/errors";
import { startTelemetry, type Telemetry } from "@dockwatch/telemetry";
import { DLQ_HEADERS, deadLetter, processBatch, processRecord, toTopicMessages, type SourceRecord, type StageLogic } from "../src/index.js";


interface Num {
  n: number;
}

function logic(transform: StageLogic<Num, Num>["transform"], maxMessageBytes?: number): StageLogic<Num, Num> {
  return {
    stage: "test",
    outputTopic: "out",
    dlqTopic: "dlq",
    decode: async (value) => {
      const text = value.toString();
      if (!/^\d+$/.test(text)) {
        const { CodecError } = await import("@dockwatch/codec");
        throw new CodecError("malformed", `not a number: ${text}`);
      }
      return { n: Number(text) };
    },
    transform,
    encode: (v) => Buffer.from(String(v.n)),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
  };
}

const record = (value: string | null, offset = "7"): SourceRecord => ({
  topic: "in",
  partition: 2,
  offset,
  key: Buffer.from("actor-1"),
  value: value === null ? null : Buffer.from(value),
  headers: { "x-original": Buffer.from("kept") },
});

describe("processRecord: transform or dead letter", () => {
  let telemetry: Telemetry;
  before(async () => void (telemetry = await startTelemetry("plan-test", {})));
  after(() => telemetry.shutdown());

  it("emits the transform's outputs with the trace context in headers", async () => {
    const outcome = await processRecord(logic(({ n }) => [{ key: "k", value: { n: n * 2 } }]), record("21"));
    assert.equal(outcome.kind, "output");
    if (outcome.kind !== "output") return;
    assert.equal(outcome.records.length, 1);
    assert.equal(outcome.records[0]!.topic, "out");
    assert.equal(outcome.records[0]!.value.toString(), "42");
    assert.match(String(outcome.records[0]!.headers.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it("a transform may emit nothing (a level-0 rule, a filtered event)", async () => {
    const outcome = await processRecord(logic(() => []), record("1"));
    assert.deepEqual(outcome, { kind: "output", records: [] });
  });

  it("dead-letters a record whose transform throws, with stage, reason and source coordinates", async () => {
    const outcome = await processRecord(logic(() => { throw new RecordError("transform-failed", "no rule for you"); }), record("5", "99"));
    assert.equal(outcome.kind, "dead");
    if (outcome.kind !== "dead") return;
    const h = outcome.record.headers;
    assert.equal(outcome.record.topic, "dlq");
    assert.equal(outcome.record.value.toString(), "5", "original bytes");
    assert.equal(String(outcome.record.key), "actor-1", "original key");
    assert.equal(h[DLQ_HEADERS.stage], "test");
    assert.equal(h[DLQ_HEADERS.reason], "transform-failed");
    assert.equal(h[DLQ_HEADERS.error], "no rule for you");
    assert.equal(h[DLQ_HEADERS.topic], "in");
    assert.equal(h[DLQ_HEADERS.partition], "2");
    assert.equal(h[DLQ_HEADERS.offset], "99");
    assert.equal(String(h["x-original"]), "kept");
  });

  it("dead-letters undecodable bytes with the codec's reason", async () => {
    const outcome = await processRecord(logic(() => []), record("not avro"));
    assert.equal(outcome.kind, "dead");
    assert.equal(outcome.kind === "dead" && outcome.reason, "malformed");
  });

  it("dead-letters an empty value and an oversized one without decoding", async () => {
    const empty = await processRecord(logic(() => []), record(null));
    assert.equal(empty.kind === "dead" && empty.reason, "empty");
    const big = await processRecord(logic(() => [], 3), record("12345"));
    assert.equal(big.kind === "dead" && big.reason, "too-large");
  });

  it("lets infrastructure failures escape so the batch is retried, not dead-lettered", async () => {
    await assert.rejects(
      processRecord(logic(() => { throw new DependencyError("redis-unavailable", "redis down"); }), record("1")),
      DependencyError,
    );
  });

  it("lets an unknown error (a bug) escape instead of dead-lettering the record as bad", async () => {
    const bug = () => (undefined as unknown as { rule: string }).rule;
    await assert.rejects(processRecord(logic(() => [{ key: null, value: { n: bug().length } }]), record("1")), TypeError);
    const unknownEncode = { ...logic(() => [{ key: null, value: { n: 1 } }]), encode: () => { throw new Error("a bug in encode"); } };
    await assert.rejects(processRecord(unknownEncode, record("1")), /a bug in encode/);
  });

  it("dead-letters a RecordError of a transform with its code as the reason", async () => {
    const outcome = await processRecord(logic(() => { throw new RecordError("no-actor", "event without an actor"); }), record("1"));
    assert.equal(outcome.kind === "dead" && outcome.reason, "no-actor");
    assert.equal(outcome.kind === "dead" && outcome.record.headers[DLQ_HEADERS.error], "event without an actor");
  });

  it("dead-letters an output that does not encode", async () => {
    const l = { ...logic(() => [{ key: null, value: { n: 1 } }]), encode: () => { throw new RecordError("encode-failed", "bad value"); } };
    const outcome = await processRecord(l, record("1"));
    assert.equal(outcome.kind === "dead" && outcome.reason, "encode-failed");
  });
});

describe("processBatch: a batch's outcomes", () => {
  let telemetry: Telemetry;
  before(async () => void (telemetry = await startTelemetry("plan-batch-test", {})));
  after(() => telemetry.shutdown());
  const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const traced = (value: string | null, offset: string) => ({ ...record(value, offset), headers: { traceparent: Buffer.from(parent), "x-original": Buffer.from("kept") } });

  it("gives each record processRecord's outcome, in order, dead letters included", async () => {
    const l = logic(({ n }) => {
      if (n === 3) throw new RecordError("transform-failed", "three");
      return [{ key: "k", value: { n: n * 2 } }];
    });
    const outcomes = await processBatch(l, [record("1", "1"), record("x", "2"), record(null, "3"), record("3", "4"), record("4", "5")]);
    assert.deepEqual(
      outcomes.map((o) => (o.kind === "output" ? o.records.map((r) => r.value.toString()).join(",") : o.reason)),
      ["2", "malformed", "empty", "transform-failed", "8"],
    );
    const dead = outcomes[3]!;
    assert.equal(dead.kind === "dead" && dead.record.headers[DLQ_HEADERS.offset], "4");
  });

  it("an output carries the context of its record's span, the child of the record's own trace context", async () => {
    const outcomes = await processBatch(logic(({ n }) => [{ key: null, value: { n } }]), [traced("1", "1"), record("2", "2")]);
    const headers = outcomes.map((o) => (o.kind === "output" ? String(o.records[0]!.headers.traceparent) : ""));
    const [, traceId, parentSpan] = parent.split("-");
    const [, outTrace, outSpan] = headers[0]!.split("-");
    assert.equal(outTrace, traceId, "the same trace");
    assert.notEqual(outSpan, parentSpan, "a new span in it");
    assert.match(headers[1]!, /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    assert.notEqual(headers[1]!.split("-")[1], traceId, "a record without context starts its own trace");
  });

  it("uses transformBatch when the logic has one; its { error } is judged like a throw", async () => {
    const l: StageLogic<Num, Num> = {
      ...logic(() => assert.fail("transform is not called")),
      transformBatch: async (items) => items.map(({ input }) => (input.n === 2 ? { error: new RecordError("no-actor", "two") } : [{ key: null, value: { n: input.n + 10 } }])),
    };
    const outcomes = await processBatch(l, [record("1", "1"), record("2", "2"), record("3", "3")]);
    assert.deepEqual(outcomes.map((o) => (o.kind === "output" ? o.records[0]!.value.toString() : o.reason)), ["11", "no-actor", "13"]);
    const buggy: StageLogic<Num, Num> = { ...l, transformBatch: async (items) => items.map(() => ({ error: new TypeError("bug") })) };
    await assert.rejects(processBatch(buggy, [record("1")]), TypeError);
    const down: StageLogic<Num, Num> = { ...l, transformBatch: async () => { throw new DependencyError("redis-unavailable", "down"); } };
    await assert.rejects(processBatch(down, [record("1")]), DependencyError);
  });
});

describe("toTopicMessages", () => {
  it("groups outputs and dead letters by topic, keeping their order", () => {
    const dl = deadLetter(record("x"), "dlq", "s", "r", "e", new Date(0));
    const grouped = toTopicMessages([
      { topic: "out", key: "a", value: Buffer.from("1"), headers: {} },
      dl,
      { topic: "out", key: "b", value: Buffer.from("2"), headers: {} },
    ]);
    assert.deepEqual(grouped.map((g) => [g.topic, g.messages.map((m) => String(m.value))]), [
      ["out", ["1", "2"]],
      ["dlq", ["x"]],
    ]);
  });
});


describe("chunkByBytes", () => {
  const rec = (n: number, bytes: number) => ({ topic: "out", key: `k${n}`, value: Buffer.alloc(bytes), headers: {} });
  it("keeps order and bounds each chunk, a record larger than the bound going alone", async () => {
    const { chunkByBytes, recordBytes } = await import("../src/index.js");
    const records = [rec(1, 400), rec(2, 400), rec(3, 400), rec(4, 5000), rec(5, 10)];
    const limit = recordBytes(rec(0, 400)) * 2;
    const chunks = chunkByBytes(records, limit);
    assert.deepEqual(chunks.map((c) => c.map((r) => r.key)), [["k1", "k2"], ["k3"], ["k4"], ["k5"]]);
    for (const c of chunks) if (c.length > 1) assert.ok(c.reduce((n, r) => n + recordBytes(r), 0) <= limit);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DLQ_HEADERS, deadLetter } from "@dockwatch/kafka";
import { REDRIVEN_HEADER, readDeadLetter, redriveRecord, select, summarize } from "../src/dlq/letters.js";

// What libs/kafka's deadLetter writes, read back as the DLQ consumer sees it.
function letter(n: number, stage: string, reason: string) {
  const out = deadLetter(
    { topic: `src.${stage}`, partition: 2, offset: String(100 + n), key: Buffer.from(`k${n}`), value: Buffer.from(`v${n}`), headers: { traceparent: Buffer.from("00-abc-def-01") } },
    "dockwatch.dlq",
    stage,
    reason,
    `error ${n}`,
    new Date("2026-12-02T00:00:00Z"),
  );
  const headers = Object.fromEntries(Object.entries(out.headers).map(([k, v]) => [k, Buffer.from(v)]));
  return readDeadLetter(0, { offset: String(n), key: out.key as Buffer, value: out.value, headers });
}

describe("dlq letters", () => {
  const letters = [letter(0, "sink", "es-rejected"), letter(1, "decoder", "not-avro"), letter(2, "sink", "es-rejected"), letter(3, "sink", "invalid-value")];

  it("reads why and from where, and keeps only the original headers", () => {
    const l = letters[0]!;
    assert.deepEqual([l.stage, l.reason, l.error, l.source], ["sink", "es-rejected", "error 0", { topic: "src.sink", partition: 2, offset: "100" }]);
    assert.deepEqual(Object.keys(l.headers), ["traceparent"]);
  });

  it("counts by stage and reason, most first", () => {
    assert.deepEqual(summarize(letters), [
      { stage: "sink", reason: "es-rejected", count: 2 },
      { stage: "decoder", reason: "not-avro", count: 1 },
      { stage: "sink", reason: "invalid-value", count: 1 },
    ]);
  });

  it("selects by stage, reason and DLQ position, all of them holding", () => {
    assert.deepEqual(select(letters, { stage: "sink" }).map((l) => l.offset), ["0", "2", "3"]);
    assert.deepEqual(select(letters, { stage: "sink", reason: "es-rejected" }).map((l) => l.offset), ["0", "2"]);
    assert.deepEqual(select(letters, { positions: ["0@1", "0@3"] }).map((l) => l.offset), ["1", "3"]);
  });

  it("re-drives the original key, bytes and headers to the source topic, marked as re-driven", () => {
    const { topic, message } = redriveRecord(letters[1]!, "dockwatch.dlq");
    assert.equal(topic, "src.decoder");
    assert.deepEqual([message.key, message.value], [Buffer.from("k1"), Buffer.from("v1")]);
    const headers = message.headers as Record<string, Buffer | string>;
    assert.equal(String(headers.traceparent), "00-abc-def-01");
    assert.equal(headers[REDRIVEN_HEADER], "dockwatch.dlq/0@1");
    assert.equal(headers[DLQ_HEADERS.reason], undefined, "no DLQ header goes back");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "lossless-json";
import {
  DEFAULT_BOUNDS,
  MORE_ENTRIES_KEY,
  boundDecodedEvent,
  boundDockerEvent,
  decodeEvent,
  encodeBounded,
  truncateUtf8,
  truncationMarker,
  waterLevel,
  type Bounds,
} from "../src/index.js";
import { containerLine, rawFromEngineLine } from "../src/testing.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const json = (v: unknown) => Buffer.from(JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)));

describe("truncateUtf8", () => {
  it("leaves a value within the bound as it is", () => {
    assert.equal(truncateUtf8("hello", 5), "hello");
  });

  it("cuts to the bound, marker included, and names the bytes cut", () => {
    const out = truncateUtf8("x".repeat(1000), 100);
    assert.ok(bytes(out) <= 100, `${bytes(out)} bytes`);
    const kept = out.indexOf("…");
    assert.equal(out.slice(kept), truncationMarker(1000 - kept));
    assert.match(out, /^x+…\[truncated \d+ bytes\]$/);
  });

  it("never cuts inside a multi-byte character", () => {
    for (const ch of ["é", "€", "𝄞"]) {
      for (let max = 30; max < 40; max++) {
        const out = truncateUtf8(ch.repeat(50), max);
        assert.ok(bytes(out) <= max);
        const head = out.slice(0, out.indexOf("…"));
        assert.equal(head, ch.repeat(head.length / ch.length), `${ch} at ${max}: no replacement character`);
        assert.ok(!out.includes("\ufffd"));
        const cut = Number(/truncated (\d+) bytes/.exec(out)![1]);
        assert.equal(bytes(head) + cut, bytes(ch.repeat(50)), "the marker counts the bytes exactly");
      }
    }
  });
});

describe("waterLevel", () => {
  it("keeps small values whole and shares the rest among the large ones", () => {
    assert.equal(waterLevel([10, 10, 1000, 1000], 220), 100);
    assert.equal(waterLevel([10, 20], 100), Number.POSITIVE_INFINITY);
  });
});

const small: Bounds = { fieldBytes: 200, mapBytes: 2_000, textBytes: 4_000 };

describe("boundDockerEvent", () => {
  it("leaves an ordinary event alone, not truncated", () => {
    const raw = rawFromEngineLine(containerLine("start"));
    assert.equal(boundDockerEvent(raw, small), raw);
  });

  it("bounds 900 labels of 1,000 bytes: every label kept, cut with the marker, flagged, raw line still JSON", () => {
    const labels = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`label${i}`, "v".repeat(1000)]));
    const raw = rawFromEngineLine(containerLine("create", labels));
    const out = boundDockerEvent(raw, DEFAULT_BOUNDS);
    assert.equal(out.truncated, true);
    const attrs = out.event!.Actor.Attributes;
    assert.equal(Object.keys(attrs).length, Object.keys(raw.event!.Actor.Attributes).length, "no label dropped");
    assert.equal(attrs.name, "web", "short values stay whole");
    assert.match(attrs.label7!, /^v+…\[truncated \d+ bytes\]$/);
    const total = Object.entries(attrs).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0);
    assert.ok(total <= DEFAULT_BOUNDS.mapBytes, `${total} bytes of attributes`);
    assert.ok(out.raw !== null && bytes(out.raw) <= DEFAULT_BOUNDS.textBytes);
    const line = parse(out.raw) as { timeNano: { value: string }; Actor: { Attributes: Record<string, string> } };
    assert.equal(line.timeNano.value, "1795873684909518378", "the raw line keeps the engine's digits");
    assert.deepEqual(line.Actor.Attributes, attrs);
    // The decoder reads it as any other record, and says it was truncated.
    const decoded = decodeEvent(out);
    assert.equal(decoded.truncated, true);
    assert.equal(decoded.container?.name, "web");
  });

  it("bounds a long exec command in the action, the exec inspect and the raw line", () => {
    const command = `sh -c ${"A".repeat(50_000)}`;
    const raw = {
      ...rawFromEngineLine(containerLine(`exec_start: ${command}`, { execID: "e1" })),
      execInspect: { id: "e1", user: "", privileged: true, tty: false, entrypoint: "sh", arguments: ["-c", "A".repeat(50_000)] },
    };
    const out = boundDockerEvent(raw, small);
    assert.equal(out.truncated, true);
    assert.match(out.event!.Action, /^exec_start: sh -c A+…\[truncated \d+ bytes\]$/, "the action keeps its head: rules still see exec_start");
    assert.ok(bytes(out.execInspect!.arguments[1]!) <= small.fieldBytes);
    assert.equal(out.execInspect!.privileged, true);
    assert.ok(bytes(out.raw!) <= small.textBytes);
  });

  it("says how many entries did not fit when even the keys are over the bound", () => {
    const labels = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`a-rather-long-label-key-number-${i}`, "x"]));
    const out = boundDockerEvent(rawFromEngineLine(containerLine("create", labels)), small);
    const attrs = out.event!.Actor.Attributes;
    assert.match(attrs[MORE_ENTRIES_KEY]!, /^\d+ more entries \(\d+ bytes\)$/);
    assert.ok(Object.entries(attrs).reduce((n, [k, v]) => n + bytes(k) + bytes(v), 0) <= small.mapBytes);
  });
});

describe("boundDecodedEvent", () => {
  it("cuts full_log, labels and exec arguments of a decoded event, flagged", () => {
    const labels = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`l${i}`, "y".repeat(500)]));
    const decoded = decodeEvent(rawFromEngineLine(containerLine("exec_start: sh -c " + "z ".repeat(5_000), labels)));
    assert.equal(decoded.truncated, false);
    const out = boundDecodedEvent(decoded, small);
    assert.equal(out.truncated, true);
    assert.ok(bytes(out.fullLog) <= small.textBytes);
    assert.ok(out.exec!.args.reduce((n, a) => n + bytes(a), 0) <= small.mapBytes);
    assert.equal(out.exec!.command, "sh");
    assert.equal(Object.keys(out.container!.labels).length, Object.keys(decoded.container!.labels).length);
    assert.equal(boundDecodedEvent(decodeEvent(rawFromEngineLine(containerLine("start"))), small).truncated, false);
  });
});

describe("encodeBounded", () => {
  it("tightens the bounds until the encoded record fits", () => {
    const labels = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`label${i}`, "v".repeat(1000)]));
    const raw = rawFromEngineLine(containerLine("create", labels));
    const { value, bytes: encoded } = encodeBounded(raw, boundDockerEvent, json, 300_000);
    assert.ok(encoded.length <= 300_000);
    assert.equal(value.truncated, true);
    assert.equal(Object.keys(value.event!.Actor.Attributes).length, Object.keys(raw.event!.Actor.Attributes).length);
  });

  it("is a too-large record error when nothing makes it fit", () => {
    const raw = rawFromEngineLine(containerLine("start"));
    assert.throws(() => encodeBounded(raw, boundDockerEvent, json, 10), { code: "too-large" });
  });
});

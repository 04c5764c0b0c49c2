import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CodecError, MemorySchemaStore, createCodec, crc64Avro, fingerprintOf, loadSchemas, parseSchema } from "../src/index.js";

describe("CRC-64-AVRO fingerprint", () => {
  // Vectors computed by the Apache Avro Python package (avro.schema.parse(s).fingerprint("CRC-64-AVRO")),
  // not by this code.
  const vectors: Array<[string, string]> = [
    ['"null"', "8a8f25cce724dd63"],
    ['"long"', "b71df49344e154d0"],
    // Parsing Canonical Form orders a record's attributes name, type, fields.
    ['{"name":"T","type":"record","fields":[{"name":"a","type":"long"}]}', "a31f96ab5a9afd3f"],
  ];
  for (const [canonical, hex] of vectors) {
    it(`matches the Avro reference for ${canonical}`, () => {
      assert.equal(crc64Avro(canonical).toString("hex"), hex);
      assert.equal(fingerprintOf(parseSchema(canonical)).toString("hex"), hex);
    });
  }
});

const TIME_NANO = 1538752533877226210n; // the seed's start event: above 2^53, rounds if ever a double

function rawEvent() {
  return {
    kind: "engine",
    agent: { id: "002", name: "agent001", ip: "192.168.122.19" },
    engine: { id: "E1", hostname: "h", version: "20.10.24", apiVersion: "1.41" },
    receivedAtNano: TIME_NANO + 15_000_000n,
    event: {
      Type: "container",
      Action: "start",
      Actor: { ID: "018205fa", Attributes: { image: "httpd", name: "apache" } },
      scope: "local",
      time: 1538752533n,
      timeNano: TIME_NANO,
      status: "start",
      id: "018205fa",
      from: "httpd",
    },
    raw: '{"status":"start","timeNano":1538752533877226210}',
    status: null,
    gap: null,
    inspect: null,
  };
}

describe("codec", () => {
  it("round-trips a timeNano above 2^53 exactly, as BigInt", async () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    const bytes = codec.encode("DockerEvent", rawEvent());
    assert.deepEqual([...bytes.subarray(0, 2)], [0xc3, 0x01]);
    assert.equal(bytes.subarray(2, 10).toString("hex"), codec.fingerprint("DockerEvent"));
    const back = await codec.decode<ReturnType<typeof rawEvent>>("DockerEvent", bytes);
    assert.equal(back.event.timeNano, TIME_NANO);
    assert.equal(back.event.timeNano.toString(), "1538752533877226210");
    assert.equal(back.receivedAtNano, TIME_NANO + 15_000_000n);
  });

  it("register publishes the writer schema under its fingerprint, once", async () => {
    const store = new MemorySchemaStore();
    const codec = createCodec({ store });
    await codec.register("DockerEvent");
    await codec.register("DockerEvent");
    assert.deepEqual([...store.schemas.keys()], [codec.fingerprint("DockerEvent")]);
  });

  it("rejects bytes that are not Avro single-object encoded", async () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    await assert.rejects(codec.decode("DockerEvent", Buffer.from('{"json":true}')), (e: unknown) => e instanceof CodecError && e.reason === "not-avro");
  });

  it("rejects a fingerprint found neither locally nor in the store", async () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    const bytes = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from([0])]);
    await assert.rejects(codec.decode("DockerEvent", bytes), (e: unknown) => e instanceof CodecError && e.reason === "unknown-schema");
  });

  it("rejects a truncated body", async () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    const bytes = codec.encode("DockerEvent", rawEvent());
    await assert.rejects(codec.decode("DockerEvent", bytes.subarray(0, 30)), (e: unknown) => e instanceof CodecError && e.reason === "malformed");
  });

  it("writes the header and Avro's own body bytes, for small records and for one larger than its scratch buffer", async () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    const type = loadSchemas().get("DockerEvent")!;
    const big = { ...rawEvent(), raw: "x".repeat(200_000) };
    for (const value of [rawEvent(), big, rawEvent()]) {
      const bytes = codec.encode("DockerEvent", value);
      const expected = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.from(codec.fingerprint("DockerEvent"), "hex"), type.toBuffer(value)]);
      assert.ok(bytes.equals(expected));
      assert.equal((await codec.decode<{ raw: string }>("DockerEvent", bytes)).raw, value.raw);
    }
    // An output is its own copy: the next encode does not change it.
    const first = codec.encode("DockerEvent", rawEvent());
    const copy = Buffer.from(first);
    codec.encode("DockerEvent", { ...rawEvent(), raw: "y".repeat(1000) });
    assert.ok(first.equals(copy));
  });

  it("rejects a value that does not match the schema at encode time", () => {
    const codec = createCodec({ store: new MemorySchemaStore() });
    assert.throws(() => codec.encode("DockerEvent", { kind: "nope" }), (e: unknown) => e instanceof CodecError && e.reason === "invalid-value");
  });
});

describe("schema resolution through the schema store", () => {
  const local = loadSchemas();
  const dockerEventJson = () => local.get("DockerEvent")!.schema({ exportAttrs: true }) as unknown as { fields: Array<{ name: string }> };

  it("reads a message written with a newer schema known only to the store", async () => {
    const store = new MemorySchemaStore();
    const newer = dockerEventJson();
    newer.fields.push({ name: "collectorVersion", type: ["null", "string"], default: null } as never);
    const newerTypes = new Map([["DockerEvent", parseSchema(newer)]]);
    const writer = createCodec({ store, types: newerTypes });
    await writer.register("DockerEvent");
    const bytes = writer.encode("DockerEvent", { ...rawEvent(), collectorVersion: "9.9.9" });

    const reader = createCodec({ store });
    const back = await reader.decode<ReturnType<typeof rawEvent>>("DockerEvent", bytes);
    assert.equal(back.event.timeNano, TIME_NANO);
    assert.equal("collectorVersion" in back, false);
  });

  it("reads a message written with an older schema (one field fewer) using the reader's default", async () => {
    const store = new MemorySchemaStore();
    const older = dockerEventJson();
    older.fields = older.fields.filter((f) => f.name !== "gap");
    const writer = createCodec({ store, types: new Map([["DockerEvent", parseSchema(older)]]) });
    await writer.register("DockerEvent");
    const { gap: _gap, ...withoutGap } = rawEvent();
    const bytes = writer.encode("DockerEvent", withoutGap);

    const reader = createCodec({ store });
    const back = await reader.decode<ReturnType<typeof rawEvent>>("DockerEvent", bytes);
    assert.equal(back.gap, null);
    assert.equal(back.event.Actor.Attributes.name, "apache");
  });
});

describe("contract checks", () => {
  const checks = { DockerEvent: (v: unknown) => ((v as { agent: { id: string } }).agent.id === "" ? "agent.id is empty" : undefined) };

  it("decode refuses valid Avro whose value breaks its contract, naming the field", async () => {
    const codec = createCodec({ store: new MemorySchemaStore(), checks });
    const bytes = codec.encode("DockerEvent", { ...rawEvent(), agent: { id: "", name: "a", ip: "1.2.3.4" } });
    await assert.rejects(codec.decode("DockerEvent", bytes), (e: unknown) => e instanceof CodecError && e.reason === "invalid-value" && /agent\.id is empty/.test(e.message));
    await codec.decode("DockerEvent", codec.encode("DockerEvent", rawEvent()));
  });

  it("validate names the first field missing or of the wrong type, then runs the check", () => {
    const codec = createCodec({ store: new MemorySchemaStore(), checks });
    const { agent: _agent, ...noAgent } = rawEvent();
    assert.throws(() => codec.validate("DockerEvent", noAgent), (e: unknown) => e instanceof CodecError && e.reason === "invalid-value" && /agent/.test(e.message));
    assert.throws(() => codec.validate("DockerEvent", "poison"), (e: unknown) => e instanceof CodecError && /the value itself/.test(e.message));
    assert.throws(() => codec.validate("DockerEvent", { ...rawEvent(), agent: { id: "", name: "a", ip: "" } }), /agent\.id is empty/);
    assert.equal(codec.validate<ReturnType<typeof rawEvent>>("DockerEvent", rawEvent()).agent.id, "002");
  });
});

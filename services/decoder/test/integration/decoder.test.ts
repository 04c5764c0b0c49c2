import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createCodec, loadSchemas, parseSchema } from "@dockwatch/codec";
import type { DecodedEvent, DockerEvent } from "@dockwatch/contracts";
import { DLQ_HEADERS, createPipelineClients } from "@dockwatch/kafka";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { MASK } from "@dockwatch/docker-event";
import { loadDecoderConfig, startDecoder } from "../../src/index.js";
import { containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";

// The decoder service against the real Kafka: good records decode around each
// kind of bad input, which goes to the DLQ with stage, reason and source
// topic/partition/offset; raw records written with an older schema (one field
// fewer) and a newer one (an added optional field, known only from the schema
// topic) both decode.

const logger = createLogger("decoder-test", process.env.LOG_LEVEL ?? "warn");
type AvroType = ReturnType<typeof parseSchema>;

/** The repo's DockerEvent schema, changed by `edit` (a writer from another version of the contract). */
function dockerEventVariant(edit: (schema: { fields: Record<string, unknown>[] }) => void): AvroType {
  const schema = JSON.parse(JSON.stringify(loadSchemas().get("DockerEvent")!.schema({ exportAttrs: true })));
  edit(schema);
  return parseSchema(schema);
}

interface Received {
  partition: number;
  offset: string;
  key: string | undefined;
  value: Buffer | null;
  headers: Record<string, string>;
}

describe("decoder on the real Kafka", () => {
  const run = unique("decoder");
  const env = {
    ...infra.kafkaEnv,
    TOPIC_RAW: `${run}.raw`,
    TOPIC_DECODED: `${run}.decoded`,
    TOPIC_DLQ: `${run}.dlq`,
    TOPIC_SCHEMAS: `${run}.schemas`,
    DECODER_CONSUMER_GROUP: `${run}-decoder`,
    DECODER_MAX_MESSAGE_BYTES: "2048",
    // A good raw record decodes to about 900 bytes; one with a 450-byte label to about 2100.
    DECODER_MAX_OUTPUT_BYTES: "1500",
    REDACT_PATTERNS: JSON.stringify(["ticket-(?<secret>\\d+)"]),
    HEALTH_PORT: "0",
  };
  const config = loadDecoderConfig(env);
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DockerEvent"], topics: [{ topic: env.TOPIC_RAW }] });
  const received = { decoded: [] as Received[], dlq: [] as Received[] };
  const reader = clients.kafka.consumer({ groupId: `${run}-reader` });
  let decoder: RunningService;

  before(async () => {
    for (const c of clients.components) await c.start();
    decoder = await startDecoder(config, logger);
    await reader.connect();
    await reader.subscribe({ topics: [env.TOPIC_DECODED, env.TOPIC_DLQ], fromBeginning: true });
    await reader.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        const entry = { partition, offset: message.offset, key: message.key?.toString(), value: message.value, headers };
        (topic === env.TOPIC_DECODED ? received.decoded : received.dlq).push(entry);
      },
    });
  });
  after(async () => {
    await reader.disconnect();
    await decoder?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
  });

  const key = run; // one key: everything lands in one partition, in this order
  const good = (n: string, attributes: Record<string, string> = {}): DockerEvent =>
    rawFromEngineLine(containerLine("start", { name: `${run}-${n}`, ...attributes }, `${run}-${n}`));
  const encode = (v: DockerEvent) => clients.codec.encode("DockerEvent", v);
  const writerCodec = (type: AvroType) => createCodec({ store: clients.schemaStore, types: new Map([["DockerEvent", type]]) });
  const decodedRecords = () => Promise.all(received.decoded.map((r) => clients.codec.decode<DecodedEvent>("DecodedEvent", r.value!)));

  it("dead-letters each kind of bad input with its reason and source, and decodes the good ones around it", async () => {
    const crafted = dockerEventVariant((s) => {
      // An engine event without its Actor: a required field the reader has no default for.
      const event = s.fields.find((f) => f.name === "event") as { type: [string, { fields: { name: string }[] }] };
      event.type[1].fields = event.type[1].fields.filter((f) => f.name !== "Actor");
    });
    const craftedCodec = writerCodec(crafted);
    await craftedCodec.register("DockerEvent");
    const actorless = good("crafted");
    const { Actor: _actor, ...eventWithoutActor } = actorless.event!;

    const records: { what: string; value: Buffer | null; reason?: string }[] = [
      { what: "good-1", value: encode(good("1", { note: "ticket-4242 PASSWORD=hunter2" })) },
      { what: "not Avro", value: Buffer.from('{"Type":"container","Action":"start"}'), reason: "not-avro" },
      { what: "good-2", value: encode(good("2")) },
      {
        what: "unknown fingerprint",
        value: Buffer.concat([Buffer.from([0xc3, 0x01]), randomBytes(8), encode(good("x")).subarray(10)]),
        reason: "unknown-schema",
      },
      { what: "good-3", value: encode(good("3")) },
      { what: "engine event without Actor", value: craftedCodec.encode("DockerEvent", { ...actorless, event: eventWithoutActor }), reason: "incompatible-schema" },
      { what: "engine record without its event", value: encode({ ...good("4"), event: null }), reason: "transform-failed" },
      { what: "good-5", value: encode(good("5")) },
      { what: "over the size limit", value: encode(good("big", { blob: "x".repeat(3000) })), reason: "too-large" },
      { what: "empty value", value: null, reason: "empty" },
      // Padding must not hide an event: cut to fit, not dead-lettered.
      { what: "good-wide", value: encode(good("wide", { blob: "y".repeat(450) })) },
      { what: "truncated Avro", value: encode(good("cut")).subarray(0, 60), reason: "malformed" },
      { what: "valid Avro, absurd time", value: encode({ ...good("past"), event: { ...good("past").event!, time: -86_400n } }), reason: "invalid-value" },
      { what: "valid Avro, empty agent id", value: encode({ ...good("anon"), agent: { id: "", name: "a", ip: "127.0.0.1" } }), reason: "invalid-value" },
      { what: "good-6", value: encode(good("6")) },
    ];
    const [meta] = await clients.producer.send({ topic: env.TOPIC_RAW, acks: -1, messages: records.map((r) => ({ key, value: r.value })) });
    const partition = meta!.partition;
    const base = BigInt(meta!.baseOffset!);

    const bad = records.flatMap((r, i) => (r.reason ? [{ ...r, offset: String(base + BigInt(i)) }] : []));
    const goodOnes = records.filter((r) => !r.reason).map((r) => r.what);
    await waitFor(`${goodOnes.length} decoded and ${bad.length} dead letters`, async () =>
      received.decoded.length >= goodOnes.length && received.dlq.length >= bad.length,
    );

    // Good records, in order, every one of them (none lost next to a bad neighbour).
    const decoded = await decodedRecords();
    assert.deepEqual(
      decoded.map((d) => d.container?.name),
      goodOnes.map((w) => `${run}-${w.replace(/^good-/, "")}`),
    );
    assert.ok(received.decoded.every((r) => r.key === key));
    const first = decoded[0]!;
    assert.equal(first.container?.labels.note, `ticket-${MASK} PASSWORD=${MASK}`, "REDACT_PATTERNS and the defaults applied");
    assert.ok(!first.fullLog.includes("hunter2") && !first.fullLog.includes("4242"));
    assert.equal(first.docker.timeNano, "1795873684909518378");
    const wide = decoded.find((d) => d.container?.name === `${run}-wide`)!;
    assert.equal(wide.truncated, true, "the decoded record over DECODER_MAX_OUTPUT_BYTES went through, cut");
    assert.match(wide.container!.labels.blob!, /^y+…\[truncated \d+ bytes\]$/);
    assert.ok(decoded.filter((d) => d !== wide).every((d) => !d.truncated));

    // One dead letter per bad record, with the original bytes and where it came from.
    assert.equal(received.dlq.length, bad.length);
    received.dlq.forEach((letter, i) => {
      const expected = bad[i]!;
      assert.equal(letter.headers[DLQ_HEADERS.stage], "decoder", expected.what);
      assert.equal(letter.headers[DLQ_HEADERS.reason], expected.reason, expected.what);
      assert.equal(letter.headers[DLQ_HEADERS.topic], env.TOPIC_RAW);
      assert.equal(letter.headers[DLQ_HEADERS.partition], String(partition));
      assert.equal(letter.headers[DLQ_HEADERS.offset], expected.offset, expected.what);
      assert.equal(letter.key, key);
      assert.deepEqual(letter.value ?? Buffer.alloc(0), expected.value ?? Buffer.alloc(0), `${expected.what}: original bytes kept`);
    });
  });

  it("decodes raw records written with an older schema (one field fewer) and a newer one (known only from the schema topic)", async () => {
    const older = writerCodec(dockerEventVariant((s) => (s.fields = s.fields.filter((f) => f.name !== "inspect"))));
    const newer = writerCodec(dockerEventVariant((s) => s.fields.push({ name: "collectorBuild", type: ["null", "string"], default: null })));
    // Published to the schema topic as a writer does; the decoder's codec does not know them locally.
    for (const c of [older, newer]) await c.register("DockerEvent");
    assert.notEqual(newer.fingerprint("DockerEvent"), clients.codec.fingerprint("DockerEvent"));
    assert.notEqual(older.fingerprint("DockerEvent"), clients.codec.fingerprint("DockerEvent"));

    const before = received.decoded.length;
    const { inspect: _inspect, ...withoutInspect } = good("older");
    await clients.producer.send({
      topic: env.TOPIC_RAW,
      acks: -1,
      messages: [
        { key, value: older.encode("DockerEvent", withoutInspect) },
        { key, value: newer.encode("DockerEvent", { ...good("newer"), collectorBuild: "2.0.0" }) },
      ],
    });
    await waitFor("2 more decoded", async () => received.decoded.length >= before + 2);
    const decoded = (await decodedRecords()).slice(before);
    assert.deepEqual(decoded.map((d) => d.container?.name), [`${run}-older`, `${run}-newer`]);
    assert.equal(decoded[0]!.inspect, null, "the older writer's missing field takes the reader's default");
    assert.equal(decoded[1]!.docker.Action, "start");
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import tls from "node:tls";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { kafkaSettings } from "@dockwatch/config";
import { createKafka, createPipelineClients, createProducer, ensureTopics } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { repoRoot, unique, waitFor } from "@dockwatch/test-helpers";
import { logLevel, type Consumer, type Kafka } from "kafkajs";
import type { DecodedEvent } from "@dockwatch/contracts";
import { containerLine, rawFromEngineLine } from "@dockwatch/docker-event/testing";
import { freePort } from "@dockwatch/test-helpers";
import { replay, spawnService } from "../../src/index.js";

// The secured Kafka of `infra/local --secure up` (infra/secure/kafka.sh): SASL_SSL with
// SCRAM-SHA-512 and the StandardAuthorizer. Each service's principal can do its job on topics
// and groups of this run (under the prefixed ACLs, created by admin as infra/local does), and
// is refused, with the broker's own error, everything it must not do. Run by
// `npm run test:secure -w @dockwatch/cli` after `infra/local --secure up`.

const logger = createLogger("secure-kafka-test", "silent");
type Env = Record<string, string>;

/** `infra/local --secure env USER`: the documented settings, as a service would get them. */
function secureEnv(user: string): Env {
  const out = execFileSync(join(repoRoot, "infra/local"), ["--secure", "env", user], { encoding: "utf8" });
  const env = Object.fromEntries(out.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  // The password itself rather than its file: the denial tests swap in a wrong one, and setting
  // both is a configuration error. (pipeline.test.ts runs the services with the files as printed.)
  env.KAFKA_SASL_PASSWORD = readFileSync(env.KAFKA_SASL_PASSWORD_FILE!, "utf8").trim();
  delete env.KAFKA_SASL_PASSWORD_FILE;
  return env;
}

const run = unique("sec");
const topics = {
  TOPIC_RAW: `docker.events.raw.${run}`,
  TOPIC_DECODED: `docker.events.decoded.${run}`,
  TOPIC_ALERTS: `alerts.${run}`,
  TOPIC_DLQ: `dockwatch.dlq.${run}`,
  TOPIC_SCHEMAS: `dockwatch.schemas.${run}`,
};
const groups = { decoder: `dockwatch-decoder-${run}`, rules: `dockwatch-rules-${run}`, sink: `dockwatch-sink-${run}` };
const envOf = (user: string, extra: Env = {}): Env => ({ ...secureEnv(user), ...topics, ...extra });
/**
 * A client as `user` retrying once, as `dockwatch status` does (kafkajs needs one retry for its
 * first coordinator lookup after connect); a refusal is not retried at all.
 */
const clientOf = (user: string, extra: Env = {}): Kafka => createKafka(kafkaSettings(envOf(user, extra), `test-${user}`), logger, { retries: 1 });

type KafkaError = Error & { type?: string; code?: string };

/** The error kafkajs saw first, under its "retries exceeded" and "coordinator not found" wrappers. */
function rootCause(err: unknown): KafkaError {
  let e = err as KafkaError & { originalError?: unknown; cause?: unknown };
  while (e.originalError ?? e.cause) e = (e.originalError ?? e.cause) as typeof e;
  return e;
}
const describeError = (err: unknown): string => {
  const chain: string[] = [];
  for (let e = err as { name?: string; message?: string; type?: string; code?: string; originalError?: unknown; cause?: unknown } | undefined; e; e = (e.originalError ?? e.cause) as typeof e) {
    chain.push(`${e.name}${e.type ? `[${e.type}]` : ""}${e.code ? `(${e.code})` : ""}: ${e.message}`);
  }
  return chain.join(" <- ");
};

async function produce(user: string, topic: string, value: string): Promise<void> {
  // The services' own producer (idempotent, acks=all), which kafkajs needs retries for.
  const producer = createProducer(createKafka(kafkaSettings(envOf(user), `test-${user}`), logger, { retries: 2 }));
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: run, value }] });
  } finally {
    await producer.disconnect();
  }
}

/** The first record of `topic` read as a member of `groupId` (its offsets committed, as the stages do). */
async function consumeFirst(kafka: Kafka, topic: string, groupId: string): Promise<string> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    let first: string | undefined;
    await consumer.subscribe({ topic, fromBeginning: true });
    const crashed = crashOf(consumer);
    await consumer.run({ eachMessage: async ({ message }) => void (first ??= message.value?.toString()) });
    return await Promise.race([waitFor(`a record of ${topic}`, async () => first, 30_000), crashed.then((err) => Promise.reject(err))]);
  } finally {
    await consumer.disconnect();
  }
}

/** The error a consumer crashes with (kafkajs reports a refused join or fetch as a crash event). */
function crashOf(consumer: Consumer): Promise<Error & { type?: string }> {
  return new Promise((resolve) => consumer.on(consumer.events.CRASH, ({ payload }) => resolve(payload.error as Error & { type?: string })));
}

/** What kafkajs throws, or reports as a consumer crash, when `consumer` reads `topic`. */
async function consumeRefusal(consumer: Consumer, topic: string): Promise<Error & { type?: string }> {
  await consumer.connect();
  try {
    const crashed = crashOf(consumer);
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => assert.fail("read a record it must not") });
    } catch (err) {
      return err as Error & { type?: string };
    }
    return await crashed;
  } finally {
    await consumer.disconnect();
  }
}

describe("secured Kafka (infra/local --secure)", () => {
  const work = mkdtempSync(join(tmpdir(), "dockwatch-secure-"));

  before(async () => {
    // The run's topics, made as infra/local makes the contract's: by admin, as no service may create one.
    const settings = kafkaSettings(envOf("admin"), "test-admin");
    const admin = createKafka(settings, logger).admin();
    await admin.connect();
    await ensureTopics(
      admin,
      [{ topic: topics.TOPIC_SCHEMAS, numPartitions: 1, compacted: true }, ...[topics.TOPIC_RAW, topics.TOPIC_DECODED, topics.TOPIC_ALERTS, topics.TOPIC_DLQ].map((topic) => ({ topic }))],
      { durability: settings.durability },
    );
    await admin.disconnect();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  describe("each principal does its job", () => {
    it("starts each service's Kafka side (topics checked, producer, schema topic read and written) as its own principal", async () => {
      const writes: Record<string, string[]> = { collector: ["DockerEvent"], decoder: ["DecodedEvent"], rules: ["Alert"], sink: [] };
      const own: Record<string, string[]> = {
        collector: [topics.TOPIC_RAW],
        decoder: [topics.TOPIC_RAW, topics.TOPIC_DECODED],
        rules: [topics.TOPIC_DECODED, topics.TOPIC_ALERTS],
        sink: [topics.TOPIC_ALERTS],
      };
      for (const service of ["collector", "decoder", "rules", "sink"]) {
        const warnings: string[] = [];
        const log = createLogger(`secure-${service}`, "warn", { write: (line: string) => void warnings.push(line) });
        const clients = createPipelineClients({ settings: kafkaSettings(envOf(service), service), logger: log, writes: writes[service]!, topics: own[service]!.map((topic) => ({ topic })) });
        const started = [];
        try {
          for (const c of clients.components) {
            await c.start();
            started.push(c);
          }
        } finally {
          for (const c of started.reverse()) await c.stop();
        }
        // The durability check of its topics ran (DESCRIBE_CONFIGS), instead of a warning that it could
        // not. (kafkajs's own transient warnings, e.g. right after a broker restart, are not the point.)
        const ours = warnings.filter((l) => !l.includes('"component":"kafkajs"'));
        assert.deepEqual(ours, [], `${service} started without warnings of its own`);
      }
    });

    it("carries a record raw -> decoded -> alerts -> sink, each hop as its own principal and group", async () => {
      await produce("collector", topics.TOPIC_RAW, "raw-1");
      assert.equal(await consumeFirst(clientOf("decoder"), topics.TOPIC_RAW, groups.decoder), "raw-1");
      await produce("decoder", topics.TOPIC_DECODED, "decoded-1");
      assert.equal(await consumeFirst(clientOf("rules"), topics.TOPIC_DECODED, groups.rules), "decoded-1");
      await produce("rules", topics.TOPIC_ALERTS, "alert-1");
      assert.equal(await consumeFirst(clientOf("sink"), topics.TOPIC_ALERTS, groups.sink), "alert-1");
      for (const service of ["collector", "decoder", "rules", "sink"]) await produce(service, topics.TOPIC_DLQ, `letter-${service}`);
    });

    it("lets the dockwatch command read alerts and the DLQ and see every stage's lag, read-only", async () => {
      const kafka = clientOf("dockwatch");
      assert.equal(await consumeFirst(kafka, topics.TOPIC_ALERTS, `dockwatch-cli-${run}`), "alert-1");
      // dockwatch dlq: the DLQ read with a throw-away group (records of one key: in order).
      assert.equal(await consumeFirst(kafka, topics.TOPIC_DLQ, `dockwatch-cli-dlq-${run}`), "letter-collector");
      const admin = kafka.admin();
      await admin.connect();
      try {
        // dockwatch status: the stages' committed offsets against the ends of their input topics.
        for (const [group, topic] of [[groups.decoder, topics.TOPIC_RAW], [groups.sink, topics.TOPIC_ALERTS]] as const) {
          const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
          const ends = await admin.fetchTopicOffsets(topic);
          assert.equal(committed!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0), ends.reduce((n, p) => n + Number(p.high), 0), `${group} committed its input`);
        }
        // ... and deleted after.
        await admin.deleteGroups([`dockwatch-cli-${run}`, `dockwatch-cli-dlq-${run}`]);
      } catch (err) {
        assert.fail(describeError(err));
      } finally {
        await admin.disconnect();
      }
      // Read-only: with WRITE on no topic at all it does not even get an idempotent producer id
      // (KIP-679: WRITE on some topic is what allows InitProducerId, no IDEMPOTENT_WRITE needed).
      const err = await produce("dockwatch", topics.TOPIC_ALERTS, "forged").then(() => undefined, (e: unknown) => e);
      assert.equal(rootCause(err).type, "CLUSTER_AUTHORIZATION_FAILED", `dockwatch may not produce alerts: ${describeError(err)}`);
    });
  });

  it("runs the real decoder service as its principal: one record raw -> decoded", async () => {
    // The collector's side as the collector writes: its codec registers DockerEvent in the schema topic.
    const collector = createPipelineClients({ settings: kafkaSettings(envOf("collector"), "collector"), logger, writes: ["DockerEvent"], topics: [{ topic: topics.TOPIC_RAW }] });
    const rules = createPipelineClients({ settings: kafkaSettings(envOf("rules"), "rules"), logger, writes: [], topics: [{ topic: topics.TOPIC_DECODED }] });
    const output: string[] = [];
    const decoder = spawnService("decoder", {
      env: { ...envOf("decoder"), DECODER_CONSUMER_GROUP: `${groups.decoder}-service`, LOG_LEVEL: "info" },
      healthPort: await freePort(),
      onLine: (_, line) => output.push(line),
    });
    const started = [];
    try {
      for (const c of [...collector.components, ...rules.components]) {
        await c.start();
        started.push(c);
      }
      await decoder.waitReady(60_000);
      const name = `${run}-secured`;
      const value = collector.codec.encode("DockerEvent", rawFromEngineLine(containerLine("start", { name }, name)));
      await collector.producer.send({ topic: topics.TOPIC_RAW, acks: -1, messages: [{ key: name, value }] });
      // Read back as the next stage reads it: the rules principal, in its own group.
      const reader = rules.kafka.consumer({ groupId: `${groups.rules}-reader` });
      const seen: DecodedEvent[] = [];
      await reader.connect();
      try {
        await reader.subscribe({ topic: topics.TOPIC_DECODED, fromBeginning: true });
        await reader.run({
          eachMessage: async ({ message }) => {
            // The hop test before this one put plain (non-Avro) records on the same topic; a
            // throw here would make kafkajs retry that record forever and never reach ours.
            const event = await rules.codec.decode<DecodedEvent>("DecodedEvent", message.value!).catch(() => undefined);
            if (event) seen.push(event);
          },
        });
        const decoded = await waitFor("the decoded record", async () => seen.find((d) => d.container?.name === name), 120_000).catch((err: Error) => {
          throw new Error(`${err.message}; the decoder said:\n${output.slice(-20).join("\n")}`);
        });
        assert.equal(decoded.container?.name, name);
      } finally {
        await reader.disconnect();
      }
    } finally {
      await decoder.stop();
      for (const c of started.reverse()) await c.stop();
    }
    // No secret in what the decoder said over the run.
    const passwords = ["collector", "decoder", "rules"].map((u) => secureEnv(u).KAFKA_SASL_PASSWORD!);
    assert.ok(output.length > 0, "the decoder logged");
    for (const p of passwords) assert.ok(!output.some((l) => l.includes(p)), "no password in the decoder's output");
  });

  it("replays as the rules identity (the only one that may produce alerts), not as the read-only dockwatch", async () => {
    const since = new Date(Date.now() - 3_600_000);
    // The decoded topic holds the record the real decoder decoded (the test before).
    const result = await replay({ since, env: { ...process.env, ...envOf("rules"), LOG_LEVEL: "silent" }, write: () => undefined });
    const summary = JSON.stringify({ ...result, byRule: [...result.byRule] }, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    assert.ok(result.alerts >= 1, `replay produced alerts: ${summary}`);
    // As dockwatch it stops before reading: no producer id for a principal that may write nowhere.
    await assert.rejects(replay({ since, env: { ...process.env, ...envOf("dockwatch"), LOG_LEVEL: "silent" }, write: () => undefined }), (err: unknown) => {
      assert.equal(rootCause(err).type, "CLUSTER_AUTHORIZATION_FAILED", describeError(err));
      return true;
    });
  });

  describe("each principal is denied what it must not do", () => {
    it("refuses the collector producing to alerts: only the rules identity may", async () => {
      const err = await produce("collector", topics.TOPIC_ALERTS, "forged").then(() => undefined, (e: unknown) => e as Error & { type?: string });
      assert.ok(err, "the send must fail");
      assert.equal(err.name, "KafkaJSNonRetriableError", describeError(err));
      assert.equal(rootCause(err).type, "TOPIC_AUTHORIZATION_FAILED", describeError(err));
      assert.equal(rootCause(err).message, "Not authorized to access topics: [Topic authorization failed]");
    });

    it("refuses the sink reading the raw topic", async () => {
      const kafka = clientOf("sink");
      const err = await consumeRefusal(kafka.consumer({ groupId: groups.sink }), topics.TOPIC_RAW);
     
      assert.equal(err.type, "TOPIC_AUTHORIZATION_FAILED", `${err.name}: ${err.message}`);
    });

    it("refuses a consumer group outside the principal's ACL", async () => {
      // The decoder may read the raw topic, but only as a member of dockwatch-decoder*. kafkajs
      // reports only "coordinator not found" (its broker pool swallows the broker's answer), and
      // logs that answer at debug: both are checked.
      const lines: string[] = [];
      const debug = createLogger("secure-decoder", "debug", { write: (line: string) => void lines.push(line) });
      const kafka = createKafka(kafkaSettings(envOf("decoder"), "test-decoder"), debug, { retries: 1 });
      kafka.logger().setLogLevel(logLevel.DEBUG);
      const err = await consumeRefusal(kafka.consumer({ groupId: `dockwatch-rules-${run}-stolen` }), topics.TOPIC_RAW);
      assert.equal(err.name, "KafkaJSGroupCoordinatorNotFound", describeError(err));
      const answers = lines.filter((l) => l.includes("Tried to find group coordinator"));
      assert.ok(answers.length > 0, "kafkajs logged the broker's answer");
      // GROUP_AUTHORIZATION_FAILED is code 30 (the logger serializes the error as its class and code).
      assert.ok(answers.every((l) => l.includes("Group authorization failed") && l.includes('"code":30')), answers.join("\n"));
    });

    it("refuses a wrong password", async () => {
      const admin = clientOf("decoder", { KAFKA_SASL_PASSWORD: "not-the-password" }).admin();
      await assert.rejects(admin.connect(), (err: Error) => {
        assert.equal(err.name, "KafkaJSSASLAuthenticationError");
        assert.match(err.message, /SASL SCRAM SHA512 authentication failed/);
        return true;
      });
    });

    it("stops the real decoder with a wrong password, in one line naming the settings and no password", async () => {
      const output: string[] = [];
      const env: Env = { ...envOf("decoder"), KAFKA_SASL_PASSWORD: "wrong-password-4711", DECODER_CONSUMER_GROUP: groups.decoder };
      const decoder = spawnService("decoder", { env, healthPort: await freePort(), onLine: (_, line) => output.push(line) });
      assert.equal(await decoder.exited, 1);
      assert.ok(
        output.includes(
          `decoder: cannot start: Kafka at ${env.KAFKA_BROKERS} refused the credentials of KAFKA_SASL_USERNAME=decoder ` +
            "(SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512): " +
            "check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM",
        ),
        output.join("\n"),
      );
      assert.ok(!output.some((l) => l.includes("wrong-password-4711")), "the password is in no line");
    });

    it("refuses a client without TLS on the SASL_SSL port", async () => {
      const admin = clientOf("decoder", { KAFKA_SSL: "false", KAFKA_SSL_CA_FILE: "" }).admin();
      await assert.rejects(admin.connect(), (err: Error) => {
        // The broker reads the plaintext SASL handshake as a bad TLS record and hangs up.
        assert.equal(err.name, "KafkaJSNumberOfRetriesExceeded", describeError(err));
        assert.equal(rootCause(err).name, "KafkaJSConnectionClosedError", describeError(err));
        assert.equal(rootCause(err).message, "Closed connection");
        return true;
      });
    });

    it("refuses a client that trusts a foreign CA: the server certificate does not verify", async () => {
      const ca = join(work, "foreign-ca.crt");
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=foreign CA", "-keyout", join(work, "foreign-ca.key"), "-out", ca], { stdio: "ignore" });
      const admin = clientOf("decoder", { KAFKA_SSL_CA_FILE: ca }).admin();
      await assert.rejects(admin.connect(), (err: Error & { code?: string }) => {
        assert.equal(err.name, "KafkaJSNumberOfRetriesExceeded", describeError(err));
        assert.equal(rootCause(err).name, "KafkaJSConnectionError", describeError(err));
        assert.equal(rootCause(err).code, "UNABLE_TO_VERIFY_LEAF_SIGNATURE", describeError(err));
        return true;
      });
    });

    it("refuses a server whose certificate has expired (infra/local's expired-certificate listener)", async () => {
      const env = secureEnv("decoder");
      const port = Number(env.KAFKA_BROKERS!.split(":")[1]) + 2;
      const admin = clientOf("decoder", { KAFKA_BROKERS: `127.0.0.1:${port}` }).admin();
      await assert.rejects(admin.connect(), (err: Error & { code?: string }) => {
        assert.equal(err.name, "KafkaJSNumberOfRetriesExceeded", describeError(err));
        assert.equal(rootCause(err).name, "KafkaJSConnectionError", describeError(err));
        assert.equal(rootCause(err).code, "CERT_HAS_EXPIRED", describeError(err));
        return true;
      });
    });

    it("refuses a client without the broker's certificate on the KRaft controller listener", async () => {
      const env = secureEnv("admin");
      const port = Number(env.KAFKA_BROKERS!.split(":")[1]) + 1;
      // TLS 1.3: the handshake completes on the client's side, then the server's alert arrives.
      const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca: readFileSync(env.KAFKA_SSL_CA_FILE!) }, () => socket.write(Buffer.alloc(8)));
        socket.once("error", resolve);
        socket.once("close", () => reject(new Error("closed without an error")));
      });
      assert.equal(err.code, "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", err.message);
    });

    it("stops a service at a missing topic it may not create, naming the user and what to do", async () => {
      const settings = kafkaSettings(envOf("decoder", { TOPIC_DECODED: `docker.events.decoded.${run}-missing` }), "decoder");
      const admin = createKafka(settings, logger, { retries: 0 }).admin();
      await admin.connect();
      try {
        await assert.rejects(ensureTopics(admin, [{ topic: settings.topics.decoded }], { durability: settings.durability, username: settings.sasl?.username }), (err: Error & { code?: string }) => {
          assert.equal(err.code, "kafka-topic-missing");
          assert.match(err.message, new RegExp(`^topic docker\\.events\\.decoded\\.${run}-missing missing or not visible to the Kafka user decoder \\(KAFKA_SASL_USERNAME\\), which may not create topics`));
          return true;
        });
      } finally {
        await admin.disconnect();
      }
    });
  });
});

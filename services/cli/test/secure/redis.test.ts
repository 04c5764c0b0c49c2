import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import type { DecodedEvent } from "@dockwatch/contracts";
import { kafkaSettings, redisSettings } from "@dockwatch/config";
import { createPipelineClients } from "@dockwatch/kafka";
import { decodedEvent } from "@dockwatch/rule-engine/testing";
import { createLogger } from "@dockwatch/runtime";
import { freePort, infra, unique, waitFor } from "@dockwatch/test-helpers";
import { Redis, type RedisOptions } from "ioredis";
import { spawnService } from "../../src/index.js";
import { REDIS_PORT, caFile, secret, secretValues, secureEnv, testCertificates, type TestCertificates } from "./secure-stack.js";

// The secured Redis (infra/local --secure: TLS only on 16379, `default` user off, ACL user
// dockwatch-rules limited to keys dockwatch:* and the commands the rules service sends): the real
// rules service correlates through it, and everything else is refused with Redis's own answer.
// Kafka is the plaintext one (its secured listener is another file's subject).

const logger = createLogger("secure-redis-test", process.env.LOG_LEVEL ?? "warn");
const env = secureEnv("rules");
const settings = redisSettings(env);

/** A client as the rules service builds it (REDIS_URL, REDIS_USERNAME, REDIS_PASSWORD, REDIS_TLS_CA_FILE), failing at once. */
function client(over: RedisOptions = {}, url = settings.url) {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    username: settings.username,
    password: settings.password,
    tls: { ca: settings.tls?.ca, rejectUnauthorized: true },
    ...over,
  });
  const errors: string[] = [];
  redis.on("error", (err: Error) => errors.push(err.message));
  return { redis, errors };
}

const admin = () => client({ username: "dockwatch-admin", password: secret("redis-admin.password") }).redis;

/** A connection that must not come up: returns what the client saw (its error events). */
async function refusedConnection(t: TestContext, c: ReturnType<typeof client>): Promise<string> {
  await assert.rejects(c.redis.connect());
  c.redis.disconnect();
  const seen = c.errors.join("; ");
  t.diagnostic(`refused: ${seen}`);
  return seen;
}

/** A command that must be refused: returns Redis's error line. */
async function refusedCommand(t: TestContext, op: () => Promise<unknown>): Promise<string> {
  try {
    await op();
  } catch (err) {
    t.diagnostic(`refused: ${(err as Error).message}`);
    return (err as Error).message;
  }
  assert.fail("expected Redis to refuse");
}

describe("secured Redis: TLS only, an ACL user limited to dockwatch:* and the rules' commands", () => {
  const run = unique("sec");
  const prefix = `dockwatch:${run}:`;
  let certs: TestCertificates | undefined;
  let expiredRedis: ChildProcess | undefined;

  after(async () => {
    const a = admin();
    await a.connect();
    const keys = await a.keys(`${prefix}*`);
    if (keys.length > 0) await a.del(...keys);
    await a.quit();
    expiredRedis?.kill("SIGTERM");
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it("hands the rules service only the documented settings: rediss:// URL, the CA, its ACL user", () => {
    assert.equal(env.REDIS_URL, `rediss://127.0.0.1:${REDIS_PORT}`);
    assert.equal(env.REDIS_TLS_CA_FILE, caFile);
    assert.equal(env.REDIS_USERNAME, "dockwatch-rules");
    assert.deepEqual(secureEnv("sink").REDIS_URL, undefined);
  });

  it("the real rules service correlates a crash loop through the secured Redis with its ACL user", async () => {
    const serviceEnv = {
      ...infra.kafkaEnv,
      ...env,
      REDIS_KEY_PREFIX: prefix,
      TOPIC_DECODED: `${run}.decoded`,
      TOPIC_ALERTS: `${run}.alerts`,
      TOPIC_DLQ: `${run}.dlq`,
      TOPIC_SCHEMAS: `${run}.schemas`,
      RULES_CONSUMER_GROUP: `${run}-rules`,
      ALERTS_FORMAT: "json",
    };
    const output: string[] = [];
    const rules = spawnService("rules", { env: serviceEnv, healthPort: await freePort(), onLine: (_s, line) => output.push(line) });
    const clients = createPipelineClients({ settings: kafkaSettings(serviceEnv, "secure-test"), logger, writes: ["DecodedEvent"], topics: [{ topic: serviceEnv.TOPIC_DECODED }] });
    const reader = clients.kafka.consumer({ groupId: `${run}-reader` });
    const alerts: Array<{ rule: { id: string }; dockwatch: { correlation: string } }> = [];
    try {
      await rules.waitReady();
      for (const c of clients.components) await c.start();
      await reader.connect();
      await reader.subscribe({ topics: [serviceEnv.TOPIC_ALERTS], fromBeginning: true });
      await reader.run({ eachMessage: async ({ message }) => void alerts.push(JSON.parse(message.value!.toString()) as (typeof alerts)[number]) });
      // Five exits of one container within a minute: rule 130970 (frequency) fires through
      // the correlator's Lua script, and the collector's heartbeat goes through the host watch.
      const t0 = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
      const at = (i: number) => `${BigInt(t0 + i * 1000) * 1_000_000n}`;
      const events: DecodedEvent[] = [
        decodedEvent({ type: "dockwatch", action: "heartbeat", id: `${run}-engine`, timeNano: at(0) }),
        ...[0, 1, 2, 3, 4].map((i) => decodedEvent({ type: "container", action: "die", id: `${run}-loop`, attributes: { name: "loop", exitCode: "1" }, timeNano: at(1 + i) })),
      ];
      await clients.producer.send({
        topic: serviceEnv.TOPIC_DECODED,
        messages: events.map((e) => ({ key: e.docker.Actor.ID, value: clients.codec.encode("DecodedEvent", e) })),
      });
      await waitFor("the correlation alert 130970", async () => alerts.some((a) => a.rule.id === "130970"), 60_000, 250).catch((err: Error) =>
        assert.fail(`${err.message}\n${output.slice(-30).join("\n")}`),
      );
      assert.deepEqual(
        alerts.filter((a) => a.dockwatch.correlation !== "ok").map((a) => a.rule.id),
        [],
        "no alert marked correlation=unavailable: every Redis command of the rules was allowed",
      );
      assert.deepEqual(output.filter((l) => /NOPERM|WRONGPASS|NOAUTH|redis unavailable|correlation unavailable/.test(l)), []);
      for (const value of secretValues()) assert.ok(!output.some((l) => l.includes(value)), "no password in the rules' output");
      // Its state is where its prefix says, under the user's dockwatch:* keys.
      const a = admin();
      await a.connect();
      assert.ok((await a.keys(`${prefix}*`)).length > 0, "correlation state under the run's prefix");
      await a.quit();
    } finally {
      await reader.disconnect();
      for (const c of [...clients.components].reverse()) await c.stop();
      await rules.stop();
    }
  });

  it("refuses a wrong password and the disabled default user", async (t) => {
    assert.match(await refusedConnection(t, client({ password: "not-the-password" })), /WRONGPASS invalid username-password pair or user is disabled/);
    assert.match(await refusedConnection(t, client({ username: undefined, password: undefined })), /NOAUTH HELLO must be called with the client already authenticated/);
  });

  it("refuses a client without TLS (the port speaks TLS only; there is no plaintext port)", async (t) => {
    const plain = client({ tls: undefined }, `redis://127.0.0.1:${REDIS_PORT}`);
    assert.match(await refusedConnection(t, plain), /ECONNRESET|Connection is closed|socket hang up/);
  });

  it("refuses keys outside dockwatch:*, in a command and inside a script (NOPERM)", async (t) => {
    const { redis } = client();
    await redis.connect();
    try {
      assert.equal(await redis.hset(`${prefix}allowed`, "a", "1"), 1, "its own prefix is writable");
      assert.match(await refusedCommand(t, () => redis.hset(`other:${run}`, "a", "1")), /^NOPERM this user has no permissions to access one of the keys used as arguments/);
      assert.match(
        await refusedCommand(t, () => redis.eval("return redis.call('HGET', KEYS[1], 'a')", 1, `other:${run}`)),
        /^NOPERM this user has no permissions to access one of the keys used as arguments/,
      );
    } finally {
      redis.disconnect();
    }
  });

  it("refuses every command the rules service does not send (NOPERM), inside scripts too", async (t) => {
    const { redis } = client();
    await redis.connect();
    try {
      assert.match(await refusedCommand(t, () => redis.flushall()), /^NOPERM this user has no permissions to run the 'flushall' command/);
      assert.match(await refusedCommand(t, () => redis.config("GET", "*")), /^NOPERM this user has no permissions to run the 'config\|get' command/);
      assert.match(await refusedCommand(t, () => redis.keys(`${prefix}*`)), /^NOPERM this user has no permissions to run the 'keys' command/);
      assert.match(await refusedCommand(t, () => redis.script("FLUSH")), /^NOPERM this user has no permissions to run the 'script\|flush' command/);
      assert.match(
        await refusedCommand(t, () => redis.eval("return redis.call('KEYS', '*')", 0)),
        /The user executing the script can't run this command or subcommand/,
      );
    } finally {
      redis.disconnect();
    }
  });

  it("a client trusting another CA refuses the server's certificate", async (t) => {
    certs ??= testCertificates();
    const foreign = client({ tls: { ca: readFileSync(certs.caFile), rejectUnauthorized: true } });
    assert.match(await refusedConnection(t, foreign), /unable to verify the first certificate|self-signed certificate in certificate chain/);
  });

  it("a client refuses a real Redis whose certificate has expired", async (t) => {
    // A private, throwaway redis-server with TLS and an expired certificate of a test CA: the
    // shared secured Redis keeps its valid one.
    certs ??= testCertificates();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "dockwatch-expired-redis-"));
    expiredRedis = spawn(
      "redis-server",
      ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--tls-cert-file", certs.expiredCert, "--tls-key-file", certs.expiredKey,
        "--tls-ca-cert-file", certs.caFile, "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: "ignore" },
    );
    try {
      await waitFor("the expired-certificate Redis listening", async () => {
        const probe = client({ tls: { rejectUnauthorized: false }, username: undefined, password: undefined }, `rediss://127.0.0.1:${port}`);
        try {
          await probe.redis.connect();
          return true;
        } catch {
          return false;
        } finally {
          probe.redis.disconnect();
        }
      }, 10_000, 100);
      const expired = client({ tls: { ca: readFileSync(certs.caFile), rejectUnauthorized: true }, username: undefined, password: undefined }, `rediss://127.0.0.1:${port}`);
      assert.match(await refusedConnection(t, expired), /certificate has expired/);
    } finally {
      expiredRedis.kill("SIGTERM");
      expiredRedis = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

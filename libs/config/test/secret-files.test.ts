import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, elasticsearchSettings, kafkaSettings, redisSettings, type Env } from "../src/index.js";

// <NAME>_FILE, the convention of Docker and Kubernetes secrets: every
// credential setting can be given as a file, read at load.
const dir = mkdtempSync(join(tmpdir(), "dockwatch-secret-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function secretFile(content: string): string {
  const path = join(dir, `secret-${n++}`);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

const SASL = { KAFKA_SASL_MECHANISM: "scram-sha-512", KAFKA_SASL_USERNAME: "dockwatch-sink" };

/** Each credential setting, how to build the settings that read it, and where its value ends up. */
const credentials: Array<{ name: string; env?: Env; read: (env: Env) => unknown }> = [
  { name: "KAFKA_SASL_PASSWORD", env: SASL, read: (e) => kafkaSettings(e, "t").sasl?.password },
  { name: "KAFKA_SASL_USERNAME", env: { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_PASSWORD: "p" }, read: (e) => kafkaSettings(e, "t").sasl?.username },
  { name: "ELASTICSEARCH_API_KEY", read: (e) => elasticsearchSettings(e).apiKey },
  { name: "ELASTICSEARCH_PASSWORD", env: { ELASTICSEARCH_USERNAME: "elastic" }, read: (e) => elasticsearchSettings(e).password },
  { name: "ELASTICSEARCH_USERNAME", env: { ELASTICSEARCH_PASSWORD: "p" }, read: (e) => elasticsearchSettings(e).username },
  { name: "REDIS_PASSWORD", read: (e) => redisSettings(e).password },
];

describe("config: secrets from <NAME>_FILE", () => {
  for (const { name, env, read } of credentials) {
    it(`${name}_FILE gives ${name}, without the trailing newline`, () => {
      const value = `Zq8!x ${name.toLowerCase()} y7`;
      assert.equal(read({ ...env, [`${name}_FILE`]: secretFile(`${value}\n`) }), value);
      assert.equal(read({ ...env, [`${name}_FILE`]: secretFile(`${value}\r\n`) }), value, "a CRLF file too");
    });
  }

  it("keeps every character but the trailing line breaks (spaces belong to the secret)", () => {
    assert.equal(redisSettings({ REDIS_PASSWORD_FILE: secretFile("  pass word  \n\n") }).password, "  pass word  ");
    assert.equal(redisSettings({ REDIS_PASSWORD_FILE: secretFile("no-newline") }).password, "no-newline");
  });

  it("URLs that may carry credentials come from files too", () => {
    assert.equal(redisSettings({ REDIS_URL_FILE: secretFile("rediss://dockwatch-rules:pw@redis:6380\n") }).url, "rediss://dockwatch-rules:pw@redis:6380");
    assert.notEqual(redisSettings({ REDIS_URL_FILE: secretFile("rediss://redis:6380\n") }).tls, undefined, "rediss:// from a file turns TLS on");
    assert.equal(elasticsearchSettings({ ELASTICSEARCH_URL_FILE: secretFile("https://sink:pw@es:9200\n") }).url, "https://sink:pw@es:9200");
  });

  it("an empty variable beside its _FILE is unset, not a second source", () => {
    assert.equal(redisSettings({ REDIS_PASSWORD: "", REDIS_PASSWORD_FILE: secretFile("pw\n") }).password, "pw");
  });
});

describe("config: bad secret files stop the service with one line, never the secret", () => {
  const SECRET = "hunter2-Zq8x";
  const cases: Array<{ what: string; env: Env; build: (env: Env) => unknown; line: string | RegExp }> = [
    {
      what: "both set",
      env: { ...SASL, KAFKA_SASL_PASSWORD: SECRET, KAFKA_SASL_PASSWORD_FILE: secretFile(`${SECRET}\n`) },
      build: (e) => kafkaSettings(e, "t"),
      line: "KAFKA_SASL_PASSWORD_FILE: expected to be unset when KAFKA_SASL_PASSWORD is set (give one of the two), got both",
    },
    {
      what: "both set (a URL)",
      env: { REDIS_URL: `redis://:${SECRET}@r:6379`, REDIS_URL_FILE: secretFile(`redis://:${SECRET}@r:6379`) },
      build: redisSettings,
      line: "REDIS_URL_FILE: expected to be unset when REDIS_URL is set (give one of the two), got both",
    },
    {
      what: "a missing file",
      env: { ELASTICSEARCH_API_KEY_FILE: join(dir, "nope") },
      build: elasticsearchSettings,
      line: `ELASTICSEARCH_API_KEY_FILE: expected the path of a readable file, got ${JSON.stringify(join(dir, "nope"))} (no such file)`,
    },
    {
      what: "a directory",
      env: { REDIS_PASSWORD_FILE: dir },
      build: redisSettings,
      line: `REDIS_PASSWORD_FILE: expected the path of a readable file, got ${JSON.stringify(dir)} (a directory)`,
    },
    {
      what: "an empty file",
      env: { ELASTICSEARCH_USERNAME: "elastic", ELASTICSEARCH_PASSWORD_FILE: secretFile("\n") },
      build: elasticsearchSettings,
      line: /^ELASTICSEARCH_PASSWORD_FILE: expected the path of a readable file, got ".*" \(empty\)$/,
    },
    {
      what: "a file whose content is not a valid value",
      env: { REDIS_URL_FILE: secretFile(`http://:${SECRET}@r:6379\n`) },
      build: redisSettings,
      line: /^REDIS_URL_FILE: expected a file holding a URL \(redis or rediss\), got ".*" \(content not shown\)$/,
    },
  ];
  for (const { what, env, build, line } of cases) {
    it(what, () => {
      assert.throws(
        () => build(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, String(err));
          if (typeof line === "string") assert.equal(err.message, line);
          else assert.match(err.message, line);
          assert.ok(!err.message.includes("\n"), "one line");
          assert.ok(!JSON.stringify({ ...err, message: err.message }).includes(SECRET), "the secret is not in the error");
          return true;
        },
      );
    });
  }
});

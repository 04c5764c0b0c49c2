import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, redactCredentials, redactUrl, registerSecret, scrubSecrets } from "../src/index.js";

describe("redaction of credentials", () => {
  it("masks the userinfo of every URL in a text, whatever the scheme", () => {
    assert.equal(redactUrl("https://elastic:changeme@es.example:9200"), "https://***@es.example:9200");
    assert.equal(redactUrl("redis://:s3cret@redis:6379/0"), "redis://***@redis:6379/0");
    assert.equal(redactUrl("rediss://default@redis:6380"), "rediss://***@redis:6380");
    assert.equal(
      redactCredentials("Elasticsearch at https://u:p%40ss@es:9200 and http://a:b@c/x?y=1 unreachable"),
      "Elasticsearch at https://***@es:9200 and http://***@c/x?y=1 unreachable",
    );
  });

  it("masks secret query parameters and leaves URLs without credentials alone", () => {
    assert.equal(redactUrl("https://es:9200/?api_key=abc123&pretty"), "https://es:9200/?api_key=***&pretty");
    assert.equal(redactUrl("http://localhost:9200"), "http://localhost:9200");
    assert.equal(redactCredentials("user@example.com wrote to localhost:9092"), "user@example.com wrote to localhost:9092");
  });

  it("scrubs nested objects: secret-named keys masked, strings redacted, URLs as text", () => {
    const scrubbed = scrubSecrets({
      url: new URL("https://elastic:changeme@es:9200/"),
      meta: { request: { headers: { Authorization: "ApiKey c2VjcmV0", "content-type": "application/json" } } },
      settings: { password: "pw", apiKey: "k", username: "elastic", brokers: ["kafka:9092"] },
      message: "redis://:pw@r:6379 down",
    });
    assert.deepEqual(scrubbed, {
      url: "https://***@es:9200/",
      meta: { request: { headers: { Authorization: "***", "content-type": "application/json" } } },
      settings: { password: "***", apiKey: "***", username: "elastic", brokers: ["kafka:9092"] },
      message: "redis://***@r:6379 down",
    });
  });

  it("a bad setting's one line never shows a credential", () => {
    const url = new ConfigError("ELASTICSEARCH_URL", "a URL (http or https)", "ftp://elastic:changeme@es:9200");
    assert.equal(url.message, 'ELASTICSEARCH_URL: expected a URL (http or https), got "ftp://***@es:9200"');
    assert.equal(url.got, "ftp://***@es:9200");
    const secret = new ConfigError("ELASTICSEARCH_API_KEY", "a base64 API key", "not base64!");
    assert.equal(secret.message, "ELASTICSEARCH_API_KEY: expected a base64 API key, got a value (not shown)");
    assert.ok(!JSON.stringify({ ...secret }).includes("not base64!"));
    // A caller's phrase instead of the value (a secret file's path and why it failed).
    const file = new ConfigError("REDIS_PASSWORD_FILE", "the path of a readable file", undefined, '"/run/secrets/redis" (empty)');
    assert.equal(file.message, 'REDIS_PASSWORD_FILE: expected the path of a readable file, got "/run/secrets/redis" (empty)');
  });

  it("masks the arguments of a failed Redis credential command (ioredis' ReplyError.command)", () => {
    // The shape measured from ioredis 5 against redis-server --requirepass with a wrong password.
    const err = Object.assign(new Error("WRONGPASS invalid username-password pair or user is disabled."), {
      command: { name: "hello", args: ["3", "AUTH", "dockwatch-rules", "Zq8-redis-Pw"] },
    });
    const scrubbed = scrubSecrets({ ...err, message: err.message });
    assert.deepEqual(scrubbed.command, { name: "hello", args: ["***"] });
    assert.ok(!JSON.stringify(scrubbed).includes("Zq8-redis-Pw"));
    assert.deepEqual(scrubSecrets({ command: { name: "AUTH", args: ["pw"] } }).command.args, ["***"]);
    // Other commands keep their arguments (keys, counts): they are what the reader needs.
    assert.deepEqual(scrubSecrets({ command: { name: "zadd", args: ["dockwatch:w", "1", "m"] } }).command.args, ["dockwatch:w", "1", "m"]);
  });

  it("never passes on what it did not scrub: too deep or circular becomes a marker", () => {
    let deep: Record<string, unknown> = { password: "deep-secret-1" };
    for (let i = 0; i < 12; i++) deep = { next: deep };
    assert.ok(!JSON.stringify(scrubSecrets(deep)).includes("deep-secret-1"));
    assert.ok(JSON.stringify(scrubSecrets(deep)).includes("[too deep]"));
    const loop: Record<string, unknown> = { url: "https://u:loop-secret@h" };
    loop.self = loop;
    assert.deepEqual(scrubSecrets(loop), { url: "https://***@h", self: "[circular]" });
  });

  it("masks a registered secret wherever it appears, in free text too; short values are left to the patterns", () => {
    registerSecret("Kafka-Scram-Pw-8x2");
    registerSecret("a b/c+d");
    registerSecret("pw");
    assert.equal(redactCredentials("SASL failed for user sink with Kafka-Scram-Pw-8x2 (twice: Kafka-Scram-Pw-8x2)"), "SASL failed for user sink with *** (twice: ***)");
    assert.equal(redactCredentials("encoded a%20b%2Fc%2Bd and raw a b/c+d"), "encoded *** and raw ***");
    assert.equal(redactCredentials("pw stays"), "pw stays");
    assert.deepEqual(scrubSecrets({ detail: ["x Kafka-Scram-Pw-8x2 y"] }), { detail: ["x *** y"] });
  });
});

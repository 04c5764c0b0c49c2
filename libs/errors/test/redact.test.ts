import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, redactCredentials, redactUrl, scrubSecrets } from "../src/index.js";

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
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ConfigError,
  alertIndexSettings,
  duration,
  elasticsearchSettings,
  identitySettings,
  kafkaSettings,
  parseEnv,
  redisSettings,
  runtimeSettings,
  type Env,
} from "../src/index.js";

// Every bad value must stop a service with one line naming the variable.
const badValues: Array<{ env: Env; build: (env: Env) => unknown; line: string }> = [
  { env: { KAFKA_BROKERS: "localhost" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_BROKERS: expected a comma-separated list of host:port, got "localhost"' },
  { env: { KAFKA_BROKERS: "a:1,b" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_BROKERS: expected a comma-separated list of host:port, got "a:1,b"' },
  { env: { KAFKA_SSL: "maybe" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_SSL: expected true or false, got "maybe"' },
  { env: { KAFKA_SASL_MECHANISM: "gssapi" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_SASL_MECHANISM: expected one of plain, scram-sha-256, scram-sha-512, got "gssapi"' },
  { env: { KAFKA_SASL_MECHANISM: "plain" }, build: (e) => kafkaSettings(e, "t"), line: "KAFKA_SASL_USERNAME: expected a user name when KAFKA_SASL_MECHANISM is set, got nothing" },
  { env: { KAFKA_SASL_MECHANISM: "plain", KAFKA_SASL_USERNAME: "u" }, build: (e) => kafkaSettings(e, "t"), line: "KAFKA_SASL_PASSWORD: expected a password when KAFKA_SASL_MECHANISM is set, got nothing" },
  { env: { KAFKA_SSL_CA_FILE: "/nonexistent/ca.pem" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_SSL_CA_FILE: expected the path of a readable file, got "/nonexistent/ca.pem"' },
  { env: { KAFKA_REPLICATION_FACTOR: "0" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_REPLICATION_FACTOR: expected an integer from 1 to 16, got "0"' },
  { env: { KAFKA_REPLICATION_FACTOR: "three" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_REPLICATION_FACTOR: expected an integer from 1 to 16, got "three"' },
  { env: { KAFKA_MIN_INSYNC_REPLICAS: "2.5" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_MIN_INSYNC_REPLICAS: expected an integer from 1 to 16, got "2.5"' },
  { env: { KAFKA_MIN_INSYNC_REPLICAS: "4" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_MIN_INSYNC_REPLICAS: expected at most KAFKA_REPLICATION_FACTOR (3), got "4"' },
  { env: { KAFKA_REPLICATION_FACTOR: "1", KAFKA_MIN_INSYNC_REPLICAS: "2" }, build: (e) => kafkaSettings(e, "t"), line: 'KAFKA_MIN_INSYNC_REPLICAS: expected at most KAFKA_REPLICATION_FACTOR (1), got "2"' },
  { env: { ELASTICSEARCH_URL: "localhost:9200" }, build: elasticsearchSettings, line: 'ELASTICSEARCH_URL: expected a URL (http or https), got "localhost:9200"' },
  { env: { ELASTICSEARCH_URL: "ftp://x" }, build: elasticsearchSettings, line: 'ELASTICSEARCH_URL: expected a URL (http or https), got "ftp://x"' },
  // Credentials in a bad URL never reach the line.
  { env: { ELASTICSEARCH_URL: "ftp://elastic:changeme@es:9200" }, build: elasticsearchSettings, line: 'ELASTICSEARCH_URL: expected a URL (http or https), got "ftp://***@es:9200"' },
  { env: { REDIS_URL: "http://:s3cret@localhost:6379" }, build: redisSettings, line: 'REDIS_URL: expected a URL (redis or rediss), got "http://***@localhost:6379"' },
  { env: { ELASTICSEARCH_USERNAME: "elastic" }, build: elasticsearchSettings, line: "ELASTICSEARCH_PASSWORD: expected a password when ELASTICSEARCH_USERNAME is set, got nothing" },
  { env: { REDIS_USERNAME: "dockwatch-rules" }, build: redisSettings, line: "REDIS_PASSWORD: expected a password when REDIS_USERNAME is set, got nothing" },
  { env: { REDIS_URL: "http://localhost:6379" }, build: redisSettings, line: 'REDIS_URL: expected a URL (redis or rediss), got "http://localhost:6379"' },
  { env: { HEALTH_PORT: "70000" }, build: (e) => runtimeSettings(e, 9481), line: 'HEALTH_PORT: expected an integer from 0 to 65535, got "70000"' },
  { env: { HEALTH_PORT: "12ab" }, build: (e) => runtimeSettings(e, 9481), line: 'HEALTH_PORT: expected an integer from 0 to 65535, got "12ab"' },
  { env: { LOG_LEVEL: "loud" }, build: (e) => runtimeSettings(e, 9481), line: 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"' },
  ...["Dockwatch-Alerts", "alerts*", "a/b", "a b", "a,b", "a#b", "a:b", 'a"b', "a|b", "a<b", "-alerts", "_alerts", "+alerts", ".", "..", "x".repeat(245)].map((value) => ({
    env: { SINK_INDEX_PREFIX: value },
    build: alertIndexSettings,
    line: `SINK_INDEX_PREFIX: expected an Elasticsearch index name (lowercase, without \\ / * ? " < > | , # : or spaces, not starting with - _ +), got ${JSON.stringify(value)}`,
  })),
  { env: { HEARTBEAT_INTERVAL: "30 seconds" }, build: (e) => parseEnv({ HEARTBEAT_INTERVAL: duration("30s") }, e), line: 'HEARTBEAT_INTERVAL: expected a duration such as 500ms, 30s, 5m or 1h, got "30 seconds"' },
];

describe("config: bad values", () => {
  for (const { env, build, line } of badValues) {
    it(line.split(":")[0] + " " + JSON.stringify(env), () => {
      assert.throws(
        () => build(env),
        (err: unknown) => err instanceof ConfigError && err.message === line && !err.message.includes("\n"),
      );
    });
  }
});

describe("config: defaults and normalization", () => {
  it("uses the documented defaults (README, Configuration) when nothing is set", () => {
    const kafka = kafkaSettings({}, "decoder");
    assert.deepEqual(kafka.brokers, ["localhost:9092"]);
    assert.equal(kafka.clientId, "dockwatch-decoder");
    assert.equal(kafka.ssl, false);
    assert.equal(kafka.topics.raw, "docker.events.raw");
    assert.equal(kafka.topics.schemas, "dockwatch.schemas");
    assert.deepEqual(kafka.durability, { replicationFactor: 3, minInsyncReplicas: 2 }, "right for 3 brokers");
    assert.equal(elasticsearchSettings({}).url, "http://localhost:9200");
    assert.equal(redisSettings({}).url, "redis://localhost:6379");
    assert.equal(runtimeSettings({}, 9483).healthPort, 9483);
    assert.equal(identitySettings({}).location, "Wazuh-Docker");
    assert.deepEqual(alertIndexSettings({}), {
      prefix: "dockwatch-alerts",
      alias: "dockwatch-alerts",
      template: "dockwatch-alerts",
      pattern: "dockwatch-alerts-*",
      dailyPrefix: "dockwatch-alerts-",
    });
  });

  it("derives the index template, its pattern and the alias from SINK_INDEX_PREFIX", () => {
    assert.deepEqual(alertIndexSettings({ SINK_INDEX_PREFIX: "e2e-1f2a.alerts" }), {
      prefix: "e2e-1f2a.alerts",
      alias: "e2e-1f2a.alerts",
      template: "e2e-1f2a.alerts",
      pattern: "e2e-1f2a.alerts-*",
      dailyPrefix: "e2e-1f2a.alerts-",
    });
    assert.equal(alertIndexSettings({ SINK_INDEX_PREFIX: "x".repeat(244) }).prefix.length, 244, "244 bytes + -YYYY.MM.DD = 255");
  });

  it("passes security settings through", () => {
    const kafka = kafkaSettings(
      { KAFKA_BROKERS: "k1:9093, k2:9093", KAFKA_SSL: "true", KAFKA_SASL_MECHANISM: "scram-sha-512", KAFKA_SASL_USERNAME: "u", KAFKA_SASL_PASSWORD: "p" },
      "t",
    );
    assert.deepEqual(kafka.brokers, ["k1:9093", "k2:9093"]);
    assert.deepEqual(kafka.sasl, { mechanism: "scram-sha-512", username: "u", password: "p" });
    assert.notEqual(kafka.ssl, false);
    assert.equal(elasticsearchSettings({ ELASTICSEARCH_API_KEY: "abc" }).apiKey, "abc");
    const redis = redisSettings({ REDIS_URL: "rediss://r:6380", REDIS_PASSWORD: "pw" });
    assert.equal(redis.password, "pw");
    assert.deepEqual(redis.tls, { ca: undefined, rejectUnauthorized: true });
    assert.equal(redis.username, undefined);
    assert.equal(redisSettings({ REDIS_USERNAME: "dockwatch-rules", REDIS_PASSWORD: "pw" }).username, "dockwatch-rules");
  });

  it("normalizes durations to milliseconds", () => {
    const parse = (v: string) => parseEnv({ D: duration("30s") }, { D: v }).D;
    assert.equal(parseEnv({ D: duration("30s") }, {}).D, 30_000);
    assert.equal(parse("250ms"), 250);
    assert.equal(parse("5m"), 300_000);
    assert.equal(parse("2h"), 7_200_000);
    assert.equal(parse("1500"), 1500);
  });
});

describe("config: Kafka durability", () => {
  const durability = (env: Env) => kafkaSettings(env, "t").durability;
  it("takes both settings as given", () => {
    assert.deepEqual(durability({ KAFKA_REPLICATION_FACTOR: "5", KAFKA_MIN_INSYNC_REPLICAS: "3" }), { replicationFactor: 5, minInsyncReplicas: 3 });
    assert.deepEqual(durability({ KAFKA_REPLICATION_FACTOR: "1", KAFKA_MIN_INSYNC_REPLICAS: "1" }), { replicationFactor: 1, minInsyncReplicas: 1 });
  });
  it("defaults min.insync to 2, or to what a smaller replication factor allows", () => {
    assert.deepEqual(durability({ KAFKA_REPLICATION_FACTOR: "1" }), { replicationFactor: 1, minInsyncReplicas: 1 });
    assert.deepEqual(durability({ KAFKA_REPLICATION_FACTOR: "2" }), { replicationFactor: 2, minInsyncReplicas: 1 });
    assert.deepEqual(durability({ KAFKA_REPLICATION_FACTOR: "5" }), { replicationFactor: 5, minInsyncReplicas: 2 });
  });
});

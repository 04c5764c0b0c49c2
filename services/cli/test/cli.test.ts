import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { degradations, localDurabilityEnv, ownServiceEnv, parseMetrics, partitionLag, passesFilters, rate, renderSummary, type Snapshot } from "../src/index.js";

const run = promisify(execFile);

describe("metrics and lag", () => {
  it("parses Prometheus text and computes rates", () => {
    const m = parseMetrics("# HELP x y\n# TYPE x counter\ndockwatch_decoder_records_in_total 120\nother 3\n");
    assert.equal(m.get("dockwatch_decoder_records_in_total"), 120);
    assert.equal(rate(100, 120, 2000), 10);
    assert.equal(rate(undefined, 120, 2000), 0);
  });

  it("counts lag from the committed offset, or from the start when nothing is committed", () => {
    assert.equal(partitionLag("100", "0", "90"), 10);
    assert.equal(partitionLag("100", "40", "-1"), 60);
    assert.equal(partitionLag("100", "0", "100"), 0);
  });
});

describe("dockwatch up on infra/local's Kafka", () => {
  it("gives the services the durability infra/local's brokers can hold", () => {
    assert.deepEqual(localDurabilityEnv({}), { KAFKA_REPLICATION_FACTOR: "1", KAFKA_MIN_INSYNC_REPLICAS: "1" }, "one broker");
    assert.deepEqual(localDurabilityEnv({ KAFKA_NODES: "3" }), { KAFKA_REPLICATION_FACTOR: "3", KAFKA_MIN_INSYNC_REPLICAS: "2" });
  });

  it("adds nothing for another Kafka, or when durability is set", () => {
    assert.deepEqual(localDurabilityEnv({ KAFKA_BROKERS: "k1:9092,k2:9092,k3:9092" }), {});
    assert.deepEqual(localDurabilityEnv({ KAFKA_REPLICATION_FACTOR: "2" }), {});
    assert.deepEqual(localDurabilityEnv({ KAFKA_MIN_INSYNC_REPLICAS: "1" }), {});
  });
});

describe("dockwatch up, a principal per service", () => {
  it("gives each service its own <SERVICE>_KAFKA_/ELASTICSEARCH_/REDIS_ settings without the prefix, and nothing else", () => {
    const env = {
      KAFKA_BROKERS: "127.0.0.1:19092",
      DECODER_KAFKA_SASL_USERNAME: "decoder",
      DECODER_KAFKA_SASL_PASSWORD_FILE: "/s/kafka-decoder.password",
      DECODER_CONSUMER_GROUP: "dockwatch-decoder-2",
      SINK_ELASTICSEARCH_API_KEY_FILE: "/s/sink.key",
      RULES_REDIS_URL: "rediss://rules@127.0.0.1:16379",
    };
    assert.deepEqual(ownServiceEnv("decoder", env), { KAFKA_SASL_USERNAME: "decoder", KAFKA_SASL_PASSWORD_FILE: "/s/kafka-decoder.password" });
    assert.deepEqual(ownServiceEnv("sink", env), { ELASTICSEARCH_API_KEY_FILE: "/s/sink.key" });
    assert.deepEqual(ownServiceEnv("rules", env), { REDIS_URL: "rediss://rules@127.0.0.1:16379" });
    assert.deepEqual(ownServiceEnv("collector", env), {});
  });
});

describe("renderSummary", () => {
  it("shows readiness, events/s, lag and the latest alerts", () => {
    const snap = (at: number, decoded: number): Snapshot => ({
      at,
      counters: new Map([["decoder", decoded]]),
      ready: new Map([
        ["decoder", true],
        ["rules", true],
      ]),
      degraded: new Map([["rules", ["correlation unavailable"]]]),
      notReady: new Map(),
      lag: [{ groupId: "dockwatch-decoder", lag: 7 }],
      alerts: [{ timestamp: "2026-11-28T13:00:00.000+0000", level: 3, description: "Container apache started" }],
      alertCount: 1,
    });
    const text = renderSummary(snap(0, 10), snap(2000, 30));
    assert.match(text, /decoder\s+yes\s+10\.0/);
    assert.match(text, /dockwatch-decoder\s+7/);
    assert.match(text, /level\s+3\s+Container apache started/);
    assert.match(text, /collector\s+no/);
    assert.match(text, /rules\s+yes.*degraded: correlation unavailable/);
  });

  it("reads a degradation from the rules service's correlation gauge", () => {
    const metrics = (available: number) => parseMetrics(`# TYPE dockwatch_rules_correlation_available gauge\ndockwatch_rules_correlation_available ${available}\n`);
    assert.deepEqual(degradations("rules", metrics(0)), ["correlation unavailable (Redis unreachable; per-event alerts go on)"]);
    assert.deepEqual(degradations("rules", metrics(1)), []);
    assert.deepEqual(degradations("decoder", metrics(0)), []);
  });
});

describe("tail filters", () => {
  const alert = { kind: "alert" as const, value: { rule: { id: "87903", level: 3 }, container: { name: "apache" } } };
  it("filters by rule, minimum level and container name", () => {
    assert.equal(passesFilters(alert, {}), true);
    assert.equal(passesFilters(alert, { rule: "87903", minLevel: 3, container: "apache" }), true);
    assert.equal(passesFilters(alert, { rule: "87904" }), false);
    assert.equal(passesFilters(alert, { minLevel: 5 }), false);
    assert.equal(passesFilters(alert, { container: "nginx" }), false);
  });
});

describe("dockwatch --help", () => {
  it("every command has help, an unknown command exits 2", async () => {
    for (const cmd of ["up", "status", "tail", "logtest", "rules", "replay", "down"]) {
      const { stdout } = await run(process.execPath, ["dist/cli.js", cmd, "--help"]);
      assert.match(stdout, new RegExp(`^usage: dockwatch ${cmd}`));
    }
    await assert.rejects(run(process.execPath, ["dist/cli.js", "frobnicate"]), (e: { code?: number }) => e.code === 2);
    await assert.rejects(run(process.execPath, ["dist/cli.js", "replay"]), (e: { code?: number; stderr?: string }) => e.code === 2 && /--since/.test(e.stderr ?? ""));
    await assert.rejects(
      run(process.execPath, ["dist/cli.js", "replay", "--since", "yesterday"]),
      (e: { code?: number; stderr?: string }) => e.code === 2 && /--since: expected/.test(e.stderr ?? ""),
    );
  });
});

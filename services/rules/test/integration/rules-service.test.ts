import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { DecodedEvent } from "@dockwatch/contracts";
import { createPipelineClients } from "@dockwatch/kafka";
import { createLogger, type RunningService } from "@dockwatch/runtime";
import { infra, unique, waitFor } from "@dockwatch/test-helpers";
import { loadRulesConfig, startRules } from "../../src/index.js";
import { decodedEvent } from "@dockwatch/rule-engine/testing";

// The rules service against the real Kafka and Redis: decoded events in,
// JSON alerts out, with the shipped ruleset, a local override, a detection
// from inspect facts, a frequency rule through the Redis correlator, and a
// heartbeat that gives no alert.

const logger = createLogger("rules-test", process.env.LOG_LEVEL ?? "warn");

interface AlertDoc {
  id: string;
  rule: { id: string; level: number; description: string };
  data: { docker: { Actor: { ID: string } } };
}

describe("rules service on the real Kafka and Redis", () => {
  const run = unique("rules");
  const local = mkdtempSync(join(tmpdir(), "dockwatch-rules-local-"));
  writeFileSync(join(local, "local.yml"), "overrides:\n  - id: 87904\n    level: 4\n    description: Stopped $(docker.Actor.Attributes.name)\n");
  const env = {
    ...infra.kafkaEnv,
    REDIS_URL: infra.redisUrl,
    REDIS_KEY_PREFIX: `${run}:`,
    TOPIC_DECODED: `${run}.decoded`,
    TOPIC_ALERTS: `${run}.alerts`,
    TOPIC_DLQ: `${run}.dlq`,
    TOPIC_SCHEMAS: `${run}.schemas`,
    RULES_CONSUMER_GROUP: `${run}-rules`,
    RULES_LOCAL_DIR: local,
    ALERTS_FORMAT: "json",
    HEALTH_PORT: "0",
  };
  const config = loadRulesConfig(env);
  const clients = createPipelineClients({ settings: config.kafka, logger, writes: ["DecodedEvent"], topics: [{ topic: env.TOPIC_DECODED }] });
  const alerts: AlertDoc[] = [];
  const reader = clients.kafka.consumer({ groupId: `${run}-reader` });
  let service: RunningService;

  before(async () => {
    for (const c of clients.components) await c.start();
    service = await startRules(config, logger);
    await reader.connect();
    await reader.subscribe({ topics: [env.TOPIC_ALERTS], fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void alerts.push(JSON.parse(message.value!.toString()) as AlertDoc) });
  });
  after(async () => {
    await reader.disconnect();
    await service?.stop("test done");
    for (const c of [...clients.components].reverse()) await c.stop();
  });

  it("alerts by Wazuh's rule plus dockwatch's detections, applies local overrides, correlates a crash loop, and ignores heartbeats", async () => {
    const container = (n: string) => `${run}-${n}`;
    const t0 = 1_700_000_040_000; // ms, 40 s into a 60 s correlation window
    const at = (i: number) => `${BigInt(t0 + i * 1000) * 1_000_000n}`;
    const events: DecodedEvent[] = [
      decodedEvent({ type: "container", action: "start", id: container("plain"), attributes: { name: "plain" }, timeNano: at(0) }),
      decodedEvent({ type: "container", action: "start", id: container("priv"), attributes: { name: "priv" }, inspect: { privileged: true }, timeNano: at(1) }),
      decodedEvent({ type: "container", action: "stop", id: container("plain"), attributes: { name: "plain" }, timeNano: at(2) }),
      decodedEvent({ type: "dockwatch", action: "heartbeat", id: container("engine"), timeNano: at(3) }),
      ...[0, 1, 2, 3, 4].map((i) =>
        decodedEvent({ type: "container", action: "die", id: container("loop"), attributes: { name: "loop", exitCode: "1" }, timeNano: at(4 + i) }),
      ),
    ];
    await clients.producer.send({
      topic: env.TOPIC_DECODED,
      messages: events.map((e) => ({ key: e.docker.Actor.ID, value: clients.codec.encode("DecodedEvent", e) })),
    });
    const mine = () => alerts.filter((a) => a.data.docker.Actor.ID.startsWith(run));
    await waitFor("10 alerts", async () => mine().length >= 10, 60_000);
    const byActor = mine().map((a) => `${a.data.docker.Actor.ID.slice(run.length + 1)} ${a.rule.id} ${a.rule.level}`);
    assert.deepEqual(byActor.sort(), [
      "loop 130970 10",
      "loop 87924 7",
      "loop 87924 7",
      "loop 87924 7",
      "loop 87924 7",
      "loop 87924 7",
      "plain 87903 3",
      "plain 87904 4",
      // Wazuh's alert for the start, and dockwatch's detection beside it.
      "priv 130960 10",
      "priv 87903 3",
    ]);
    assert.equal(mine().find((a) => a.rule.id === "87904")!.rule.description, "Stopped plain");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kafkaSettings } from "@dockwatch/config";
import { createLogger, startService } from "@dockwatch/runtime";
import { freePort, infra, unique, waitFor } from "@dockwatch/test-helpers";
import { createBatchConsumer, createKafka, ensureTopics } from "../../src/index.js";

// A kafkajs consumer that crashes with an error it will not restart after
// (a KafkaJSNonRetriableError) must not leave a live process that consumes
// nothing: the service stops, its `stopped` rejects (runMain exits 1), and
// /readyz never says ready meanwhile. The crash is a real one: the broker
// refuses a session timeout below its group.min.session.timeout.ms (6 s by
// default) with INVALID_SESSION_TIMEOUT, which kafkajs does not retry.

const logger = createLogger("crash-test", process.env.LOG_LEVEL ?? "fatal");

describe("a consumer that crashes for good (real Kafka)", () => {
  it("stops the service, which never reported itself ready", async () => {
    const run = unique("crash");
    const settings = kafkaSettings(infra.kafkaEnv, "crash-test");
    const kafka = createKafka(settings, logger);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [{ topic: `${run}.in` }], { durability: settings.durability });
    await admin.disconnect();

    const consumer = createBatchConsumer({ kafka, groupId: `${run}-group`, topic: `${run}.in`, logger, sessionTimeoutMs: 1_000, heartbeatIntervalMs: 300, handleBatch: async () => {} });
    // The crash may come while the service is still starting (startService
    // rejects) or once it runs (`stopped` rejects): either way it must stop.
    const healthPort = await freePort();
    const outcome: Promise<unknown> = startService({ name: "crash-test", logger, healthPort, components: [consumer] }).then(
      (service) => service.stopped.then(() => "stopped cleanly", (err: unknown) => err),
      (err: unknown) => err,
    );
    let settled = false;
    void outcome.then(() => (settled = true));
    const statuses: number[] = [];
    await waitFor("the service to stop", async () => {
      const res = await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined);
      if (res) statuses.push(res.status);
      return settled;
    }, 30_000, 50);
    const err = (await outcome) as Error;
    assert.notEqual(err, "stopped cleanly", "the service stopped because of the crash");
    assert.match(String(err?.message), /session timeout/i);
    assert.ok(!statuses.includes(200), `never ready (saw ${[...new Set(statuses)].join(", ") || "no answer"})`);
  });
});

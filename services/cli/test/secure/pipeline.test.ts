import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { elasticsearchSettings, kafkaSettings } from "@dockwatch/config";
import { createElasticsearchClient } from "@dockwatch/elasticsearch";
import { createKafka, createProducer, ensureTopics } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { busyboxImage, docker, freePort, repoRoot, unique, waitFor } from "@dockwatch/test-helpers";
import { SERVICES, spawnService, type ServiceName, type ServiceProcess } from "../../src/index.js";
import { SECRETS, secret } from "./secure-stack.js";

// The whole pipeline on the secured stack (infra/local --secure up): a real `docker run` on the
// local engine becomes an alert in the secured Elasticsearch, through the four real service
// binaries, each configured only with what `infra/local --secure env <service>` prints: its own
// Kafka principal over SASL_SSL, the sink's Elasticsearch user over https, the rules' Redis ACL
// user over TLS, every password as a `<NAME>_FILE`. Over the run, no service prints a secret.

type Env = Record<string, string>;
const logger = createLogger("secure-pipeline-test", "silent");

/** `infra/local --secure env <who>`, unchanged: the documented settings, secrets as files. */
function documentedEnv(who: string): Env {
  const out = execFileSync(join(repoRoot, "infra/local"), ["--secure", "env", who], { encoding: "utf8" });
  const env: Env = {};
  for (const line of out.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** Every password infra/local --secure made (Kafka, Elasticsearch, Redis). */
const passwords = () => readdirSync(SECRETS).filter((f) => f.endsWith(".password")).map((f) => secret(f));

describe("secured pipeline: docker run -> alert, every hop authenticated and encrypted", () => {
  const run = unique("secpipe").toLowerCase();
  const container = `${run}-web`;
  // Names under the prefixed ACLs (infra/secure/kafka.sh) and the Elasticsearch roles'
  // dockwatch-alerts* pattern; the Redis user may only touch dockwatch:*.
  const world: Env = {
    TOPIC_RAW: `docker.events.raw.${run}`,
    TOPIC_DECODED: `docker.events.decoded.${run}`,
    TOPIC_ALERTS: `alerts.${run}`,
    TOPIC_DLQ: `dockwatch.dlq.${run}`,
    TOPIC_SCHEMAS: `dockwatch.schemas.${run}`,
    DECODER_CONSUMER_GROUP: `dockwatch-decoder-${run}`,
    RULES_CONSUMER_GROUP: `dockwatch-rules-${run}`,
    SINK_CONSUMER_GROUP: `dockwatch-sink-${run}`,
    REDIS_KEY_PREFIX: `dockwatch:${run}:`,
    SINK_INDEX_PREFIX: `dockwatch-alerts_${run}`,
    AGENT_ID: "007",
    AGENT_NAME: "secured-host",
  };
  const stateDir = mkdtempSync(join(tmpdir(), `${run}-collector-`));
  const output: string[] = [];
  const services: ServiceProcess[] = [];
  const reader = createElasticsearchClient(elasticsearchSettings(documentedEnv("dockwatch")));

  before(async () => {
    // The run's topics, made by admin as infra/local makes the contract's: no service may create one.
    const settings = kafkaSettings({ ...documentedEnv("admin"), ...world }, "test-admin");
    const admin = createKafka(settings, logger).admin();
    await admin.connect();
    try {
      const t = settings.topics;
      const specs = [{ topic: t.schemas, numPartitions: 1, compacted: true }, ...[t.raw, t.decoded, t.alerts, t.dlq].map((topic) => ({ topic }))];
      await ensureTopics(admin, specs, { durability: settings.durability });
    } finally {
      await admin.disconnect();
    }
    await docker("rm", "-f", container).catch(() => undefined);
    for (const name of [...SERVICES].reverse()) {
      const env = { ...documentedEnv(name), ...world, ...(name === "collector" ? { COLLECTOR_STATE_DIR: stateDir } : {}) };
      const service = spawnService(name as ServiceName, { env, healthPort: await freePort(), onLine: (svc, line) => output.push(`${svc} | ${line}`) });
      services.push(service);
      await service.waitReady().catch((err: Error) => assert.fail(`${err.message}\n${output.slice(-30).join("\n")}`));
    }
  });

  after(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    await Promise.all(services.map((s) => s.stop()));
    await reader.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("carries a docker run to the 87903 alert in the secured Elasticsearch, and a forged copy cannot replace it", async () => {
    await docker("run", "-d", "--name", container, busyboxImage(), "sleep", "300");
    const hit = await waitFor(
      "the 87903 alert in the secured Elasticsearch",
      async () => {
        await reader.indices.refresh({ index: world.SINK_INDEX_PREFIX!, ignore_unavailable: true, allow_no_indices: true }).catch(() => undefined);
        const res = await reader.search({ index: world.SINK_INDEX_PREFIX!, ignore_unavailable: true, allow_no_indices: true, seq_no_primary_term: true, query: { bool: { filter: [{ term: { "rule.id": "87903" } }, { term: { "container.name": container } }] } } });
        return res.hits.hits[0];
      },
      120_000,
      1_000,
    ).catch((err: Error) => assert.fail(`${err.message}\n${output.slice(-40).join("\n")}`));
    const doc = hit._source as { agent: { id: string; name: string }; rule: { description: string } };
    assert.equal(doc.agent.id, "007");
    assert.equal(doc.agent.name, "secured-host");
    assert.match(doc.rule.description, new RegExp(`Container ${container} started`));

    // Anyone but the rules identity is refused at `alerts`: the collector's credentials cannot
    // put a forged document under that alert's id on the topic.
    const producer = createProducer(createKafka(kafkaSettings({ ...documentedEnv("collector"), ...world }, "forger"), logger, { retries: 1 }));
    await producer.connect();
    try {
      await assert.rejects(
        producer.send({ topic: world.TOPIC_ALERTS!, acks: -1, messages: [{ key: hit._id!, value: JSON.stringify({ ...doc, rule: { ...doc.rule, level: 0 } }) }] }),
        (err: Error & { type?: string; originalError?: { type?: string } }) => {
          assert.match(`${err.type ?? ""} ${err.originalError?.type ?? ""} ${err.message}`, /TOPIC_AUTHORIZATION_FAILED|Not authorized/);
          return true;
        },
      );
    } finally {
      await producer.disconnect();
    }
    const again = await reader.get({ index: hit._index, id: hit._id! });
    assert.equal(again._seq_no, hit._seq_no, "the indexed alert was rewritten");
  });

  it("printed no password in any service's output over the run", () => {
    assert.ok(output.length > 0, "no output captured");
    const leaked = passwords().filter((p) => output.some((line) => line.includes(p)));
    assert.deepEqual(leaked.length, 0, `a secret appeared in the services' output`);
  });
});

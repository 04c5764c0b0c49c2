import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import type { Alert } from "@dockwatch/contracts";
import { elasticsearchSettings, kafkaSettings } from "@dockwatch/config";
import { createElasticsearchClient } from "@dockwatch/elasticsearch";
import { createPipelineClients, type PipelineClients } from "@dockwatch/kafka";
import { createLogger } from "@dockwatch/runtime";
import { freePort, infra, repoRoot, unique, waitFor } from "@dockwatch/test-helpers";
import { Client, errors } from "@elastic/elasticsearch";
import { spawnService, type ServiceProcess } from "../../src/index.js";
import { ES_PORT, caFile, secret, secretValues, secureEnv, testCertificates, type TestCertificates } from "./secure-stack.js";

// The secured Elasticsearch (infra/local --secure: https on 19200, security module on, file-realm
// users dockwatch-sink and dockwatch-reader with the roles of infra/secure/elasticsearch.sh):
// the real sink writes an alert there with its own identity, the dockwatch command's identity
// reads it, and each identity is refused what it must not do, with Elasticsearch's own answer.
// Kafka is the plaintext one (its secured listener is another file's subject).

const logger = createLogger("secure-es-test", process.env.LOG_LEVEL ?? "warn");
const url = `https://127.0.0.1:${ES_PORT}`;

/** The one identity not handed to a service: setup and cleanup. */
const admin = () => new Client({ node: url, auth: { username: "elastic", password: secret("elasticsearch-admin.password") }, tls: { ca: readFileSync(caFile) } });

/** A client as a service builds it (libs/config + libs/elasticsearch) from `env`. */
const clientFor = (env: Record<string, string>) => createElasticsearchClient(elasticsearchSettings(env));

/** Runs `op`, which must fail; returns the error. */
async function refused(t: TestContext, op: () => Promise<unknown>): Promise<Error> {
  try {
    await op();
  } catch (err) {
    // What was seen, in the test report (the closing note of issue 14 quotes it).
    t.diagnostic(`refused: ${(err as Error).message.replace(/\s+/g, " ")}`);
    return err as Error;
  }
  assert.fail("expected Elasticsearch (or the TLS layer) to refuse");
}

function assertEsError(err: Error, status: number, reason: RegExp) {
  assert.ok(err instanceof errors.ResponseError, `a response from Elasticsearch, got ${err.name}: ${err.message}`);
  assert.equal(err.statusCode, status, err.message);
  assert.equal((err.body as { error?: { type?: string } }).error?.type, "security_exception", err.message);
  assert.match(err.message, reason);
}

function makeAlert(id: string, eventSeconds: number): Alert {
  const time = String(eventSeconds);
  const name = "secure-web";
  return {
    timestamp: new Date(eventSeconds * 1000).toISOString(),
    rule: {
      level: 3,
      description: `Container ${name} started`,
      id: "87903",
      mail: false,
      groups: ["docker"],
      pci_dss: [],
      gdpr: [],
      hipaa: [],
      nist_800_53: [],
      tsc: [],
      mitre: { id: [], tactic: [], technique: [] },
    },
    agent: { id: "001", name: "agent-secure", ip: "127.0.0.1" },
    manager: { name: "m" },
    id,
    cluster: { name: "c", node: "n" },
    full_log: `{"integration":"docker","docker":{"Action":"start","time":${time}}}`,
    decoder: { name: "json" },
    data: {
      integration: "docker",
      docker: {
        status: "start",
        id: `${name}-id`,
        from: "dockwatch/busybox",
        Type: "container",
        Action: "start",
        Actor: { ID: `${name}-id`, Attributes: { name, image: "dockwatch/busybox" } },
        scope: "local",
        time,
        timeNano: `${time}000000001`,
      },
    },
    location: "Wazuh-Docker",
    dockwatch: { version: "0.1.0", ruleset: "secure-test", correlation: "ok", truncated: false },
    container: null,
  };
}

describe("secured Elasticsearch: TLS, identities and least privilege", () => {
  const run = unique("sec").toLowerCase();
  // Under the roles' pattern dockwatch-alerts*, with an underscore so its template pattern
  // (<prefix>-*) never overlaps the default dockwatch-alerts-* of a secured `npm start`.
  const prefix = `dockwatch-alerts_${run}`;
  const day = 1_717_200_000; // 2024-06-01T00:00:00Z: the alert lands in <prefix>-2024.06.01
  const sinkEnv = secureEnv("sink");
  const readerEnv = secureEnv("cli");
  const es = admin();
  const outside = `dockwatch-other_${run}`;
  const output: string[] = [];
  let sink: ServiceProcess | undefined;
  let producer: PipelineClients | undefined;
  let certs: TestCertificates | undefined;

  before(async () => {
    // An index outside the pattern that exists, so a refused write is about privileges, not creation.
    await es.indices.create({ index: outside });
  });

  after(async () => {
    await sink?.stop();
    for (const c of [...(producer?.components ?? [])].reverse()) await c.stop();
    // destructive_requires_name: no wildcard deletes, even for the superuser.
    const rows = (await es.cat.indices({ index: `${prefix}-*`, h: "index", format: "json" }).catch(() => [])) as Array<{ index?: string }>;
    for (const { index } of rows) if (index) await es.indices.delete({ index }).catch(() => undefined);
    await es.indices.deleteIndexTemplate({ name: prefix }).catch(() => undefined);
    await es.indices.delete({ index: outside }).catch(() => undefined);
    await es.close();
    if (certs) rmSync(certs.dir, { recursive: true, force: true });
  });

  it("hands each service only the documented settings: https URL, the CA, its own user", () => {
    assert.equal(sinkEnv.ELASTICSEARCH_URL, url);
    assert.equal(sinkEnv.ELASTICSEARCH_CA_FILE, caFile);
    assert.equal(sinkEnv.ELASTICSEARCH_USERNAME, "dockwatch-sink");
    assert.equal(readerEnv.ELASTICSEARCH_USERNAME, "dockwatch-reader");
    assert.deepEqual(secureEnv("collector"), {});
  });

  it("the real sink installs its template and indexes an alert with its own identity; the reader (and dockwatch status) finds it", async () => {
    const env = {
      ...infra.kafkaEnv,
      ...sinkEnv,
      TOPIC_ALERTS: `${run}.alerts`,
      TOPIC_DLQ: `${run}.dlq`,
      TOPIC_SCHEMAS: `${run}.schemas`,
      SINK_CONSUMER_GROUP: `${run}-sink`,
      SINK_INDEX_PREFIX: prefix,
      ALERT_RETENTION_DAYS: "3650", // the retention pass runs too (list and delete privileges)
    };
    sink = spawnService("sink", { env, healthPort: await freePort(), onLine: (_s, line) => output.push(line) });
    await sink.waitReady();
    producer = createPipelineClients({ settings: kafkaSettings(env, "secure-test"), logger, writes: ["Alert"], topics: [{ topic: env.TOPIC_ALERTS }] });
    for (const c of producer.components) await c.start();
    const id = `${run}-alert-1`;
    await producer.producer.send({ topic: env.TOPIC_ALERTS, messages: [{ key: id, value: producer.codec.encode("Alert", makeAlert(id, day + 60)) }] });

    const hit = await waitFor(
      "the alert in the secured Elasticsearch",
      async () => {
        await es.indices.refresh({ index: prefix, ignore_unavailable: true, allow_no_indices: true });
        const res = await es.search({ index: prefix, ignore_unavailable: true, allow_no_indices: true, query: { ids: { values: [id] } } });
        return res.hits.hits[0];
      },
      60_000,
      500,
    ).catch((err: Error) => assert.fail(`${err.message}\n${output.slice(-30).join("\n")}`));
    assert.equal(hit._index, `${prefix}-2024.06.01`);
    const template = await es.indices.getIndexTemplate({ name: prefix });
    assert.deepEqual(template.index_templates[0]?.index_template.index_patterns, [`${prefix}-*`]);

    // The dockwatch command's identity searches the alias (read is all it has).
    const reader = clientFor(readerEnv);
    const found = await reader.search({ index: prefix, query: { ids: { values: [id] } } });
    assert.equal(found.hits.hits[0]?._id, id);
    await reader.close();

    // The real `dockwatch status` with the reader's settings counts it (Kafka: the plaintext one).
    const status = spawnSync(process.execPath, [join(repoRoot, "services/cli/dist/cli.js"), "status"], {
      encoding: "utf8",
      env: { ...process.env, ...infra.kafkaEnv, ...readerEnv, SINK_INDEX_PREFIX: prefix },
    });
    assert.match(status.stdout, new RegExp(`^alerts +1 in ${prefix}$`, "m"), status.stdout + status.stderr);
    for (const value of secretValues()) assert.ok(!(status.stdout + status.stderr).includes(value), "no password in dockwatch status");

    const refusals = output.filter((l) => /security_exception|unauthorized|refuses writes|rejected the .* template/.test(l));
    assert.deepEqual(refusals, [], "the sink was refused nothing it needs");
    for (const value of secretValues()) assert.ok(!output.some((l) => l.includes(value)), "no password in the sink's output");
  });

  it("refuses the sink a write outside dockwatch-alerts* and a template delete (403)", async (t) => {
    const sinkEs = clientFor(sinkEnv);
    const err = await refused(t, () => sinkEs.index({ index: outside, id: "forged", document: { forged: true } }));
    // A write to an existing index goes through the shard-level bulk action.
    assertEsError(err, 403, /action \[indices:data\/write\/bulk\[s\]\] is unauthorized for user \[dockwatch-sink\]/);
    const create = await refused(t, () => sinkEs.index({ index: `other-${run}-2024.06.01`, document: { forged: true } }));
    assertEsError(create, 403, /action \[indices:admin\/auto_create\] is unauthorized for user \[dockwatch-sink\]/);
    // It puts its template; it cannot delete one (or read the cluster's nodes, or anything else).
    const drop = await refused(t, () => sinkEs.indices.deleteIndexTemplate({ name: prefix }));
    assertEsError(drop, 403, /action \[indices:admin\/index_template\/delete\] is unauthorized for user \[dockwatch-sink\]/);
    await sinkEs.close();
  });

  it("refuses the reader any write or template (403)", async (t) => {
    const reader = clientFor(readerEnv);
    const write = await refused(t, () => reader.index({ index: `${prefix}-2024.06.01`, id: "forged", document: { forged: true } }));
    assertEsError(write, 403, /action \[indices:data\/write\/index\] is unauthorized for user \[dockwatch-reader\]/);
    const template = await refused(t, () => reader.indices.putIndexTemplate({ name: `${prefix}-x`, index_patterns: [`${prefix}-x-*`] }));
    assertEsError(template, 403, /action \[indices:admin\/index_template\/put\] is unauthorized for user \[dockwatch-reader\]/);
    await reader.close();
  });

  it("refuses a wrong password and a request without credentials (401)", async (t) => {
    const wrong = clientFor({ ...sinkEnv, ELASTICSEARCH_PASSWORD: "not-the-password" });
    assertEsError(await refused(t, () => wrong.search({ index: prefix })), 401, /unable to authenticate user \[dockwatch-sink\]/);
    await wrong.close();
    const anonymous = clientFor({ ELASTICSEARCH_URL: url, ELASTICSEARCH_CA_FILE: caFile });
    assertEsError(await refused(t, () => anonymous.search({ index: prefix })), 401, /missing authentication credentials/);
    await anonymous.close();
  });

  it("answers nothing useful to plain HTTP on the https port", async (t) => {
    const plain = clientFor({ ...sinkEnv, ELASTICSEARCH_URL: `http://127.0.0.1:${ES_PORT}` });
    const err = await refused(t, () => plain.search({ index: prefix }));
    await plain.close();
    assert.ok(err instanceof errors.ConnectionError, `a connection error, got ${err.name}: ${err.message}`);
    assert.match(err.message, /other side closed|socket hang up|ECONNRESET/);
  });

  it("a client trusting another CA refuses the server's certificate", async (t) => {
    certs ??= testCertificates();
    const foreign = clientFor({ ...sinkEnv, ELASTICSEARCH_CA_FILE: certs.caFile });
    const err = await refused(t, () => foreign.search({ index: prefix }));
    await foreign.close();
    assert.ok(err instanceof errors.ConnectionError, `a connection error, got ${err.name}: ${err.message}`);
    assert.match(err.message, /unable to verify the first certificate|self-signed certificate in certificate chain/);
  });

  it("a client refuses an expired server certificate (a TLS endpoint of ours: the secured node's certificate is valid)", async (t) => {
    // Not the Elasticsearch node: giving it an expired certificate means restarting the shared
    // secured node (or a second 1 GB one). The check is the client's, and this is the client.
    certs ??= testCertificates();
    const server: Server = createServer({ cert: readFileSync(certs.expiredCert), key: readFileSync(certs.expiredKey) }, (_req, res) => res.end("{}"));
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      const client = clientFor({ ...sinkEnv, ELASTICSEARCH_URL: `https://127.0.0.1:${port}`, ELASTICSEARCH_CA_FILE: certs.caFile });
      const err = await refused(t, () => client.search({ index: prefix }));
      await client.close();
      assert.ok(err instanceof errors.ConnectionError, `a connection error, got ${err.name}: ${err.message}`);
      assert.match(err.message, /certificate has expired/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { elasticsearchSettings } from "@dockwatch/config";
import { createLogger } from "@dockwatch/runtime";
import { infra } from "@dockwatch/test-helpers";
import { ElasticsearchStartupError, createElasticsearchClient, waitForElasticsearch } from "../../src/index.js";

// The wait for a cluster against the real local Elasticsearch, and against a
// port nothing listens on.

const logger = createLogger("elasticsearch-test", process.env.LOG_LEVEL ?? "silent");

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe("waitForElasticsearch", () => {
  it("returns once the cluster answers its health check", async () => {
    const es = createElasticsearchClient(elasticsearchSettings({ ELASTICSEARCH_URL: infra.elasticsearchUrl }));
    try {
      await waitForElasticsearch(es, { url: infra.elasticsearchUrl, logger, policy: { initialMs: 100, maxMs: 500, maxElapsedMs: 30_000 } });
    } finally {
      await es.close();
    }
  });

  it("gives up after the timeout with one line naming the setting and the cause", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const es = createElasticsearchClient(elasticsearchSettings({ ELASTICSEARCH_URL: url }));
    const started = Date.now();
    try {
      const err = await waitForElasticsearch(es, { url, logger, policy: { initialMs: 50, maxMs: 200, maxElapsedMs: 1_000 }, timeoutSetting: "X_TIMEOUT" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ElasticsearchStartupError, String(err));
      assert.equal(err.code, "elasticsearch-unreachable");
      assert.match(err.message, new RegExp(`^Elasticsearch at ${url.replace(/\./g, "\\.")} still unreachable after X_TIMEOUT \\(1s\\): .*ECONNREFUSED`));
      assert.ok(!err.message.includes("\n"));
      assert.ok(Date.now() - started < 10_000, "bounded by the timeout");
    } finally {
      await es.close();
    }
  });
});

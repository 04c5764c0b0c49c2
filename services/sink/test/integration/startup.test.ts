import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { createLogger } from "@dockwatch/runtime";
import { infra, unique } from "@dockwatch/test-helpers";
import { Client } from "@elastic/elasticsearch";
import { ElasticsearchStartupError, alertIndexTemplate, prepareElasticsearch } from "../../src/index.js";

// Start-up failures stop the sink with one line: Elasticsearch unreachable past
// ES_STARTUP_TIMEOUT (a closed port), and a template Elasticsearch rejects
// (at once, with Elasticsearch's own reason).

const logger = createLogger("sink-startup-test", process.env.LOG_LEVEL ?? "silent");
const main = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

/** A port nothing listens on: bound by us, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function runSink(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, LOG_LEVEL: "silent", OTEL_SDK_DISABLED: "true", HEALTH_PORT: "0", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

describe("sink start-up against Elasticsearch", () => {
  it("never writes the credentials it was given, in any log line or its last line (issue 14)", async () => {
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), "sink-secrets-"));
    try {
      writeFileSync(join(dir, "api-key"), "Es-Api-Key-Zz91x\n", { mode: 0o600 });
      const child = spawn(process.execPath, ["--import", "tsx", main], {
        env: {
          ...process.env,
          LOG_LEVEL: "debug",
          OTEL_SDK_DISABLED: "true",
          HEALTH_PORT: "0",
          ELASTICSEARCH_URL: `https://sink:Url-Es-Pw-44q@127.0.0.1:${port}`,
          ELASTICSEARCH_API_KEY_FILE: join(dir, "api-key"),
          ES_STARTUP_TIMEOUT: "2s",
          TOPIC_ALERTS: unique("startup-secrets"),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const code = await new Promise((r) => child.on("exit", r));
      assert.equal(code, 1);
      assert.match(output, /not reachable yet/, "the retries were logged (debug level), with the URL");
      assert.match(output, /sink: cannot start: Elasticsearch at https:\/\/\*\*\*@127\.0\.0\.1/);
      for (const secret of ["Url-Es-Pw-44q", "Es-Api-Key-Zz91x"]) assert.ok(!output.includes(secret), `${secret} in:\n${output}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops with one line naming ES_STARTUP_TIMEOUT when Elasticsearch stays unreachable", async () => {
    const port = await closedPort();
    const { code, stderr } = await runSink({ ELASTICSEARCH_URL: `http://127.0.0.1:${port}`, ES_STARTUP_TIMEOUT: "2s", TOPIC_ALERTS: unique("startup") });
    assert.equal(code, 1);
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, new RegExp(`^sink: cannot start: Elasticsearch at http://127\\.0\\.0\\.1:${port} still unreachable after ES_STARTUP_TIMEOUT \\(2s\\): .*ECONNREFUSED`));
  });

  it("stops at once with Elasticsearch's reason when the template is rejected", async () => {
    const es = new Client({ node: infra.elasticsearchUrl });
    const name = unique("dockwatch-rejected");
    const good = alertIndexTemplate(0);
    // `wildcard` is an X-Pack field type the integ-test build lacks: a realistic rejection.
    const rejected = {
      ...good,
      index_patterns: [`${name}-*`],
      template: { ...good.template, aliases: {}, mappings: { properties: { ...good.template.mappings.properties, full_log: { type: "wildcard" } } } },
    };
    try {
      // A 10-minute startup timeout: only an immediate failure lets this test finish.
      const err = await prepareElasticsearch(es, { url: infra.elasticsearchUrl, timeoutMs: 600_000, logger, templateName: name, template: rejected }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ElasticsearchStartupError, String(err));
      assert.match(err.message, new RegExp(`^Elasticsearch rejected the ${name} index template: 400 .*The mapper type \\[wildcard\\] declared on field \\[full_log\\] does not exist`));
      assert.ok(!err.message.includes("\n"));
      const exists = await es.indices.existsIndexTemplate({ name });
      assert.equal(exists, false, "nothing was installed");
    } finally {
      await es.close();
    }
  });
});

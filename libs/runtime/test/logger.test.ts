import assert from "node:assert/strict";
import { networkInterfaces } from "node:os";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { DependencyError, registerSecret } from "@dockwatch/errors";
import { Metrics, createHealthServer, createLogger } from "../src/index.js";

/** A logger writing into an array of lines. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { logger: createLogger("test", "info", stream), lines };
}

const SECRETS = ["changeme", "s3cret", "c2VjcmV0"];

describe("logger", () => {
  it("never writes a credential: messages, fields, errors, their causes and a client's request metadata", () => {
    const { logger, lines } = capture();
    const clientError = Object.assign(new Error("connect ECONNREFUSED https://elastic:changeme@es:9200"), {
      meta: { request: { headers: { authorization: "ApiKey c2VjcmV0" } } },
    });
    const err = new DependencyError("elasticsearch-unavailable", "Elasticsearch at https://elastic:changeme@es:9200 unreachable", { cause: clientError });
    logger.warn({ err, url: "https://elastic:changeme@es:9200", redis: { url: "redis://:s3cret@r:6379" } }, "Elasticsearch at https://elastic:changeme@es:9200 down");
    logger.error(err);
    logger.info("connecting to %s", "redis://:s3cret@r:6379");
    assert.equal(lines.length, 3);
    for (const line of lines) for (const secret of SECRETS) assert.ok(!line.includes(secret), `${secret} in ${line}`);
    const first = JSON.parse(lines[0]!) as { msg: string; url: string; err: { message: string; stack: string } };
    assert.equal(first.msg, "Elasticsearch at https://***@es:9200 down");
    assert.equal(first.url, "https://***@es:9200");
    assert.match(first.err.stack, /caused by: Error: connect ECONNREFUSED https:\/\/\*\*\*@es:9200/);
    assert.equal((JSON.parse(lines[1]!) as { msg: string }).msg, "Elasticsearch at https://***@es:9200 unreachable");
    assert.equal((JSON.parse(lines[2]!) as { msg: string }).msg, "connecting to redis://***@r:6379");
  });

  it("scrubs a Redis ReplyError's command, under err and under any other key", () => {
    const { logger, lines } = capture();
    // As ioredis 5 builds it for a wrong password (measured against redis-server --requirepass).
    const reply = () =>
      Object.assign(new Error("WRONGPASS invalid username-password pair or user is disabled."), {
        name: "ReplyError",
        command: { name: "hello", args: ["3", "AUTH", "dockwatch-rules", "Rds-Pw-9z8y"] },
      });
    logger.warn({ err: reply() }, "redis unavailable; retrying");
    logger.warn({ error: reply(), previous: { cause: reply() } }, "redis down");
    assert.equal(lines.length, 2);
    for (const line of lines) assert.ok(!line.includes("Rds-Pw-9z8y"), line);
    const first = JSON.parse(lines[0]!) as { err: { message: string; command: unknown } };
    assert.equal(first.err.message, "WRONGPASS invalid username-password pair or user is disabled.");
    assert.deepEqual(first.err.command, { name: "hello", args: ["***"] });
  });

  it("masks the configured secrets in free text (a client quoting one in its message)", () => {
    const { logger, lines } = capture();
    registerSecret("Es-Api-Key-Q1w2e3");
    logger.error(new Error("authentication with Es-Api-Key-Q1w2e3 refused"));
    logger.info({ detail: "key Es-Api-Key-Q1w2e3" }, "tried Es-Api-Key-Q1w2e3");
    for (const line of lines) assert.ok(!line.includes("Es-Api-Key-Q1w2e3"), line);
    assert.equal((JSON.parse(lines[1]!) as { msg: string; detail: string }).msg, "tried ***");
  });
});

/** The first non-internal IPv4 address of this host, if it has one. */
function routableAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

describe("health server", () => {
  const routable = routableAddress();
  const reach = (host: string, port: number) =>
    fetch(`http://${host}:${port}/healthz`).then(
      (r) => r.status,
      (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? "failed",
    );

  it("listens on loopback by default: not on the host's other addresses", { skip: routable ? false : "no non-loopback IPv4 address here" }, async () => {
    const server = createHealthServer(0, () => true, new Metrics("t"));
    await server.start();
    try {
      assert.equal(server.host, "127.0.0.1");
      assert.equal(await reach("127.0.0.1", server.port), 200);
      assert.equal(await reach(routable!, server.port), "ECONNREFUSED");
    } finally {
      await server.stop();
    }
  });

  it("listens on every address with 0.0.0.0, given explicitly", { skip: routable ? false : "no non-loopback IPv4 address here" }, async () => {
    const server = createHealthServer(0, () => true, new Metrics("t"), () => [], "0.0.0.0");
    await server.start();
    try {
      assert.equal(await reach(routable!, server.port), 200);
      assert.equal(await reach("127.0.0.1", server.port), 200);
    } finally {
      await server.stop();
    }
  });

  it("an address that is not this host's stops the start with one line naming HEALTH_HOST", async () => {
    const server = createHealthServer(0, () => true, new Metrics("t"), () => [], "192.0.2.1");
    await assert.rejects(server.start(), /^Error: HEALTH_HOST 192\.0\.2\.1 is not an address of this host \(EADDRNOTAVAIL\)/);
  });

  it("/readyz names why a component is not ready, without the credentials its error quoted", async () => {
    registerSecret("Kfk-Sasl-Pw-77");
    const server = createHealthServer(0, () => false, new Metrics("t"), () => [
      "elasticsearch-unreachable: Elasticsearch at https://sink:Es-Pw-55@es:9200 unreachable",
      "kafka: SASL authentication with Kfk-Sasl-Pw-77 failed",
    ]);
    await server.start();
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      const body = await res.text();
      assert.equal(res.status, 503);
      assert.equal(body, "not ready\nelasticsearch-unreachable: Elasticsearch at https://***@es:9200 unreachable\nkafka: SASL authentication with *** failed\n");
    } finally {
      await server.stop();
    }
  });
});

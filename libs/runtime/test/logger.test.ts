import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { DependencyError } from "@dockwatch/errors";
import { createLogger } from "../src/index.js";

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
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DependencyError, classify, errorCode } from "@dockwatch/errors";
import { errors } from "@elastic/elasticsearch";
import { ElasticsearchError, classifyEsError, describeEsError, esCall } from "../src/index.js";

/** A response error as the client builds it from an HTTP answer. */
const response = (statusCode: number, body: unknown) =>
  new errors.ResponseError({ body, statusCode, headers: {}, warnings: null, meta: {} as never });

const rejection = {
  error: {
    type: "mapper_parsing_exception",
    reason: "Failed to parse mapping: No handler for type [wildcard] declared on field [full_log]",
    caused_by: { type: "mapper_parsing_exception", reason: "No handler for type [wildcard] declared on field [full_log]" },
  },
};

describe("classifyEsError: Elasticsearch failures in the taxonomy", () => {
  const cases: Array<[string, unknown, string, string]> = [
    ["connection refused", new errors.ConnectionError("connect ECONNREFUSED 127.0.0.1:9200"), "retryable", "elasticsearch-unreachable"],
    ["no living connections", new errors.NoLivingConnectionsError("none alive", {} as never), "retryable", "elasticsearch-unreachable"],
    ["request timeout", new errors.TimeoutError("Request timed out"), "retryable", "elasticsearch-timeout"],
    ["429", response(429, { error: { type: "es_rejected_execution_exception", reason: "queue full" } }), "retryable", "elasticsearch-throttled"],
    ["503", response(503, { error: { type: "unavailable_shards_exception", reason: "primary not active" } }), "retryable", "elasticsearch-unavailable"],
    ["400", response(400, rejection), "record", "elasticsearch-rejected"],
    ["401", response(401, { error: { type: "security_exception", reason: "missing authentication credentials" } }), "record", "elasticsearch-rejected"],
  ];
  for (const [what, err, kind, code] of cases) {
    it(`${what} -> ${kind} (${code})`, () => {
      const classified = classifyEsError(err);
      assert.ok(classified instanceof ElasticsearchError);
      assert.equal(classify(classified), kind);
      assert.equal(errorCode(classified), code);
      assert.equal((classified as Error).cause, err, "the client's error is kept as the cause");
    });
  }

  it("leaves an error it does not know (a bug) unknown, and a classified one as it is", () => {
    const bug = new TypeError("cannot read properties of undefined");
    assert.equal(classifyEsError(bug), bug);
    assert.equal(classify(classifyEsError(bug)), "unknown");
    const dependency = new DependencyError("x", "y");
    assert.equal(classifyEsError(dependency), dependency);
  });

  it("esCall throws the classified error", async () => {
    await assert.rejects(
      esCall(() => Promise.reject(response(502, { error: { type: "bad_gateway", reason: "upstream" } }))),
      (err: unknown) => err instanceof ElasticsearchError && err.status === 502 && err.retryable,
    );
  });
});

describe("describeEsError", () => {
  it("is one line: status, type, reason and the caused_by chain without repeats", () => {
    assert.equal(
      describeEsError(response(400, rejection)),
      "400 mapper_parsing_exception: Failed to parse mapping: No handler for type [wildcard] declared on field [full_log] (caused by mapper_parsing_exception: No handler for type [wildcard] declared on field [full_log])",
    );
    const repeated = {
      error: { type: "a", reason: "outer", caused_by: { type: "b", reason: "root cause", caused_by: { type: "c", reason: "root cause" } } },
    };
    assert.equal(describeEsError(response(400, repeated)), "400 a: outer (caused by b: root cause)");
    const chained = { error: { type: "illegal_argument_exception", reason: "bad template", caused_by: { type: "x_content_parse_exception", reason: "line\n 3" } } };
    assert.equal(describeEsError(response(400, chained)), "400 illegal_argument_exception: bad template (caused by x_content_parse_exception: line 3)");
    assert.equal(describeEsError(new Error("a\n  b")), "a b");
  });

  it("the message of a classified error is that line", () => {
    assert.equal((classifyEsError(response(400, rejection)) as Error).message, describeEsError(response(400, rejection)));
  });
});

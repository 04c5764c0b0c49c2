import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyWriteFailure, responseErrorType } from "../src/index.js";

describe("classifyWriteFailure", () => {
  it("holds for credentials and an index that refuses writes, retries throttling and 5xx (capped), rejects the rest", () => {
    assert.deepEqual(classifyWriteFailure(401, "security_exception"), { kind: "hold", code: "es-unauthorized" });
    assert.deepEqual(classifyWriteFailure(403, "security_exception"), { kind: "hold", code: "es-forbidden" });
    assert.deepEqual(classifyWriteFailure(403, "cluster_block_exception"), { kind: "hold", code: "es-write-blocked" });
    assert.deepEqual(classifyWriteFailure(400, "index_closed_exception"), { kind: "hold", code: "es-index-closed" });
    assert.deepEqual(classifyWriteFailure(429, "es_rejected_execution_exception"), { kind: "retry", code: "es-throttled", capped: false });
    assert.deepEqual(classifyWriteFailure(503, "unavailable_shards_exception"), { kind: "retry", code: "es-item-failed", capped: true });
    assert.deepEqual(classifyWriteFailure(400, "mapper_parsing_exception"), { kind: "reject", code: "es-rejected" });
    assert.deepEqual(classifyWriteFailure(400, undefined), { kind: "reject", code: "es-rejected" });
    // A create of an _id that exists: not a failure of the cluster, the writer compares the documents.
    assert.deepEqual(classifyWriteFailure(409, "version_conflict_engine_exception"), { kind: "exists", code: "es-exists" });
    assert.deepEqual(classifyWriteFailure(409, undefined), { kind: "reject", code: "es-rejected" });
  });

  it("reads the error type of a response body", () => {
    assert.equal(responseErrorType({ error: { type: "security_exception", reason: "x" } }), "security_exception");
    assert.equal(responseErrorType({ error: "a string" }), undefined);
    assert.equal(responseErrorType(undefined), undefined);
  });
});

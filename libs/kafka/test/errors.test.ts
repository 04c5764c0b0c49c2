import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, errorCode } from "@dockwatch/errors";
import kafkajs from "kafkajs";
import { classifyKafkaError } from "../src/index.js";

const protocol = (type: string, code: number) => new kafkajs.KafkaJSProtocolError({ message: type, type, code, retriable: false } as never);

describe("classifyKafkaError", () => {
  it("a record the broker refuses (too large, invalid) is a record error, also when kafkajs wrapped it", () => {
    for (const err of [protocol("MESSAGE_TOO_LARGE", 10), Object.assign(new kafkajs.KafkaJSNonRetriableError(new Error("retries exhausted")), { cause: protocol("INVALID_RECORD", 87) })]) {
      const c = classifyKafkaError(err, "send");
      assert.equal(classify(c), "record");
      assert.equal(errorCode(c), "kafka-record-rejected");
    }
  });

  it("an idempotent session out of step is a dependency error that asks for a new producer", () => {
    const c = classifyKafkaError(protocol("OUT_OF_ORDER_SEQUENCE_NUMBER", 45), "send");
    assert.equal(classify(c), "retryable");
    assert.equal(errorCode(c), "kafka-producer-session");
  });

  it("any other kafkajs error is Kafka unavailable; a non-kafkajs error is left as it is", () => {
    assert.equal(errorCode(classifyKafkaError(new kafkajs.KafkaJSConnectionError("down"), "send")), "kafka-unavailable");
    const bug = new TypeError("x");
    assert.equal(classifyKafkaError(bug, "send"), bug);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, errorCode } from "@dockwatch/errors";
import kafkajs from "kafkajs";
import { classifyKafkaError, connectFailure } from "../src/index.js";

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

describe("connectFailure", () => {
  const brokers = ["127.0.0.1:19092"];
  it("names the credential settings when the broker refuses them", () => {
    // kafkajs types the constructor without arguments; at run time it takes the message as every KafkaJSError does.
    const err = new (kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error)("SASL SCRAM SHA512 authentication failed: invalid credentials");
    assert.equal(
      connectFailure(brokers, err, "decoder"),
      "Kafka at 127.0.0.1:19092 refused the credentials of KAFKA_SASL_USERNAME=decoder (SASL SCRAM SHA512 authentication failed: invalid credentials): check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) and KAFKA_SASL_MECHANISM",
    );
  });
  it("names the CA setting when the broker's certificate does not verify, under kafkajs's retry wrapper", () => {
    const tls = Object.assign(new kafkajs.KafkaJSConnectionError("Connection error: certificate has expired"), { code: "CERT_HAS_EXPIRED" });
    const err = Object.assign(new kafkajs.KafkaJSNumberOfRetriesExceeded(tls, { retryCount: 0, retryTime: 300 } as never), { originalError: tls });
    assert.match(connectFailure(brokers, err), /^Kafka at 127\.0\.0\.1:19092: its TLS certificate does not verify \(CERT_HAS_EXPIRED\): KAFKA_SSL_CA_FILE must be/);
  });
  it("says unreachable otherwise", () => {
    assert.equal(connectFailure(brokers, new Error("connect ECONNREFUSED")), "Kafka at 127.0.0.1:19092 is unreachable (connect ECONNREFUSED); start it (infra/local up) or set KAFKA_BROKERS");
  });
});

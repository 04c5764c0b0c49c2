import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatLogLine } from "../src/format.js";

describe("formatLogLine", () => {
  it("turns a pino JSON line into time, level, service and message", () => {
    const line = '{"level":"info","time":"2026-11-28T13:30:26.123Z","service":"decoder","msg":"decoder: running"}';
    assert.equal(formatLogLine("decoder", line), "13:30:26 INFO  decoder   | decoder: running");
  });
  it("appends an error's message", () => {
    const line = '{"level":"error","time":"2026-11-28T13:30:26.123Z","msg":"consumer crashed","err":{"message":"boom"}}';
    assert.equal(formatLogLine("sink", line), "13:30:26 ERROR sink      | consumer crashed: boom");
  });
  it("passes other lines through", () => {
    assert.equal(formatLogLine("rules", "rules: bad configuration: X"), "rules     | rules: bad configuration: X");
  });
});

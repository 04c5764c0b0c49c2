import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { trace } from "@opentelemetry/api";
import { SpanKind, contextFromHeaders, inSpan, startTelemetry, traceHeaders } from "../src/index.js";

describe("trace context through Kafka headers", () => {
  const env: NodeJS.ProcessEnv = {};
  const telemetry = startTelemetry("telemetry-test", env);
  after(() => telemetry.shutdown());

  it("exports nothing when no endpoint is set", () => {
    assert.equal(telemetry.exporting, false);
    assert.equal(env.OTEL_TRACES_EXPORTER, "none");
  });

  it("a child span started from extracted headers continues the same trace", async () => {
    const incoming = { traceparent: Buffer.from("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") };
    const parent = contextFromHeaders(incoming);
    const outgoing = await inSpan("decode", parent, SpanKind.CONSUMER, async (_span, ctx) => traceHeaders(ctx));
    const [, traceId, spanId] = outgoing.traceparent!.split("-");
    assert.equal(traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert.notEqual(spanId, "00f067aa0ba902b7", "each hop adds its own span");
    assert.equal(trace.getSpanContext(contextFromHeaders({ traceparent: outgoing.traceparent }))?.traceId, traceId);
  });
});

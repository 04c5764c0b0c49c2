import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { trace } from "@opentelemetry/api";
import { SpanKind, contextFromHeaders, exportsSpans, inSpan, startTelemetry, traceHeaders, type Telemetry } from "../src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const REFUSE_SDK_NODE = `export async function resolve(s, c, next) { if (s === "@opentelemetry/sdk-node") throw new Error("refused @opentelemetry/sdk-node"); return next(s, c); }`;
const CHILD = `
import { register } from "node:module";
register("data:text/javascript,${encodeURIComponent(REFUSE_SDK_NODE)}");
const t = await import("../src/index.ts");
const telemetry = await t.startTelemetry("child", process.env);
const { span, ctx } = t.startSpan("s", t.context.active(), t.SpanKind.INTERNAL);
console.log(t.traceHeaders(ctx).traceparent);
span.end();
await telemetry.shutdown();
`;

describe("trace context through Kafka headers", () => {
  let telemetry: Telemetry;
  before(async () => void (telemetry = await startTelemetry("telemetry-test", {})));
  after(() => telemetry.shutdown());

  it("exports nothing when no endpoint is set", () => {
    assert.equal(telemetry.exporting, false);
  });

  it("loads the NodeSDK only to export", () => {
    // A child whose module loader refuses @opentelemetry/sdk-node: starting
    // telemetry must work there without an exporter, and fail with one (so
    // the refusal is known to bite).
    const start = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], { env: { ...process.env, ...env }, encoding: "utf8", cwd: here });
    const quiet = start({ OTEL_TRACES_EXPORTER: "", OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" });
    assert.equal(quiet.status, 0, quiet.stderr);
    assert.match(quiet.stdout, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/m, "spans still get ids");
    const exporting = start({ OTEL_TRACES_EXPORTER: "console" });
    assert.notEqual(exporting.status, 0);
    assert.match(exporting.stderr, /refused @opentelemetry\/sdk-node/);
  });

  it("exports when an endpoint or exporter is set, unless the SDK is disabled", () => {
    assert.equal(exportsSpans({}), false);
    assert.equal(exportsSpans({ OTEL_TRACES_EXPORTER: "none" }), false);
    assert.equal(exportsSpans({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }), true);
    assert.equal(exportsSpans({ OTEL_TRACES_EXPORTER: "console" }), true);
    assert.equal(exportsSpans({ OTEL_TRACES_EXPORTER: "console", OTEL_SDK_DISABLED: "true" }), false);
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

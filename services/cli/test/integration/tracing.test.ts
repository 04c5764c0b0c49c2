import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { busyboxImage, docker, unique, waitFor } from "@dockwatch/test-helpers";
import { startStack, type TestStack } from "./stack.js";

// One Docker event followed across the four services: each exports its spans
// over OTLP/HTTP (JSON) to a receiver in this test, configured only through
// the standard OTEL_* variables, and one trace must hold the collector's,
// decoder's, rules' and sink's spans, each the child of the one before.

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: Array<{ key: string; value: { stringValue?: string } }> };
    scopeSpans?: Array<{ spans?: Array<{ name: string; traceId: string; spanId: string; parentSpanId?: string }> }>;
  }>;
}

describe("tracing: one event across the four services", () => {
  const run = unique("trace");
  const container = unique("dw-traced");
  const spans: ReceivedSpan[] = [];
  let receiver: Server;
  let stack: TestStack;

  before(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        if (req.url === "/v1/traces") {
          const traces = JSON.parse(body) as OtlpTraces;
          for (const rs of traces.resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "";
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? "" });
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const { port } = receiver.address() as AddressInfo;
    stack = await startStack({
      run,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_BSP_SCHEDULE_DELAY: "200",
        OTEL_METRICS_EXPORTER: "none",
        OTEL_LOGS_EXPORTER: "none",
      },
    });
  });

  after(async () => {
    await docker("rm", "-f", container).catch(() => undefined);
    await stack.stop();
    await new Promise((r) => receiver.close(r));
  });

  it("a docker start yields one trace: collector publish -> decoder process -> rules process -> sink index", async () => {
    const id = await docker("run", "-d", "--name", container, busyboxImage(), "sleep", "300");
    await waitFor("the alert in Elasticsearch", async () => (await stack.alertsWhere("data.docker.Actor.ID", [id])).length > 0, 90_000, 1000);
    const chain = ["collector publish", "decoder process", "rules process", "sink index"];
    const trace = await waitFor(
      "a trace through all four services",
      async () => {
        const byTrace = new Map<string, ReceivedSpan[]>();
        for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
        return [...byTrace.values()].find((list) => chain.every((name) => list.some((s) => s.name === name)));
      },
      60_000,
      500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; received ${spans.length} spans: ${[...new Set(spans.map((s) => `${s.service}/${s.name}`))].join(", ")}`);
    });
    const span = (name: string) => trace.find((s) => s.name === name)!;
    assert.equal(span("collector publish").service, "dockwatch-collector");
    assert.equal(span("decoder process").service, "dockwatch-decoder");
    assert.equal(span("rules process").service, "dockwatch-rules");
    assert.equal(span("sink index").service, "dockwatch-sink");
    for (let i = 1; i < chain.length; i++) {
      assert.equal(span(chain[i]!).parentSpanId, span(chain[i - 1]!).spanId, `${chain[i]} is the child of ${chain[i - 1]}`);
    }
  });
});

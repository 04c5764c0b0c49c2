import { context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Span } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";

export type { Context, Span };
export { SpanKind, context };

export interface Telemetry {
  readonly name: "telemetry";
  /** True when spans leave the process (an OTLP endpoint or exporter is configured). */
  readonly exporting: boolean;
  /** Flushes the spans still batched and shuts the SDK down; once, however often it is called. */
  shutdown(): Promise<void>;
  /** The same as shutdown(): a service's main hands it to runMain's stopLast, so it goes after every component. */
  stop(): Promise<void>;
}

/** Whether the standard OTEL_* variables send spans anywhere. */
export function exportsSpans(env: NodeJS.ProcessEnv): boolean {
  return (
    env.OTEL_SDK_DISABLED !== "true" &&
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (env.OTEL_TRACES_EXPORTER && env.OTEL_TRACES_EXPORTER !== "none"))
  );
}

/**
 * Starts OpenTelemetry from the standard OTEL_* variables. Exporting, it is
 * the full NodeSDK (exporters, resource detection, every OTEL_* setting).
 * Not exporting, nothing leaves the process but spans still get ids, so the
 * W3C trace context flows through Kafka headers from service to service: a
 * bare tracer provider does that, and the NodeSDK is not even loaded (its
 * exporters and gRPC stack cost each service about 18 MB of RSS for nothing;
 * issue 13). OTEL_SDK_DISABLED=true installs nothing (the API's no-op).
 */
export async function startTelemetry(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Telemetry> {
  const exporting = exportsSpans(env);
  let shutdown: Promise<void> | undefined;
  let close: () => Promise<void> = async () => undefined;
  if (exporting) {
    const { NodeSDK } = await import("@opentelemetry/sdk-node");
    const sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? serviceName, textMapPropagator: new W3CTraceContextPropagator(), instrumentations: [] });
    sdk.start();
    close = () => sdk.shutdown();
  } else if (env.OTEL_SDK_DISABLED !== "true") {
    const provider = new BasicTracerProvider();
    const contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
    close = async () => {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    };
  }
  const stop = () => (shutdown ??= close());
  return { name: "telemetry", exporting, shutdown: stop, stop };
}

export type KafkaHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

const headerGetter = {
  keys: (carrier: KafkaHeaders) => Object.keys(carrier),
  get: (carrier: KafkaHeaders, key: string) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : first.toString();
  },
};

/** The trace context a Kafka message carries (traceparent/tracestate headers), or the active one. */
export function contextFromHeaders(headers: KafkaHeaders | undefined): Context {
  return headers ? propagation.extract(context.active(), headers, headerGetter) : context.active();
}

/** Marks a span failed by `err`. */
export function failSpan(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
}

/** Writes the W3C trace context of `ctx` into Kafka message headers. */
export function traceHeaders(ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

const tracer = () => trace.getTracer("dockwatch");

/** Runs `fn` in a span that is a child of `parent`; the span ends when fn settles. */
export async function inSpan<T>(
  name: string,
  parent: Context,
  kind: SpanKind,
  fn: (span: Span, ctx: Context) => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, { kind }, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, () => fn(span, ctx));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}

/** Starts a span the caller ends itself (for work that spans callbacks). */
export function startSpan(name: string, parent: Context, kind: SpanKind): { span: Span; ctx: Context } {
  const span = tracer().startSpan(name, { kind }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

import { context, isSpanContextValid, propagation, ROOT_CONTEXT, trace, type Context, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  serviceName: string;
  serviceVersion?: string;
  /**
   * OTLP/HTTP endpoint for spans (e.g. http://collector:4318). Without one, spans are still made
   * and their context still propagates (HTTP → Kafka headers → consumers), but nothing is exported.
   */
  otlpEndpoint?: string;
  /** Fraction of new traces kept (parent decisions are honoured); default 1. */
  sampleRatio?: number;
}

export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * Installs the process-wide OpenTelemetry tracing: an AsyncLocalStorage context manager (so the
 * active span follows async calls), W3C trace-context + baggage propagation (what libs/kafka
 * injects into record headers), and a tracer provider that exports over OTLP/HTTP when an
 * endpoint is given. Manual spans only: no auto-instrumentation hooks are loaded, so no ESM loader
 * hook is needed and the hot path pays only for the spans we make.
 */
export function startTracing(options: TracingOptions): Tracing {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const spanProcessors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) }));
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors,
  });
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: trace.getTracer(options.serviceName, options.serviceVersion),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** Reads a W3C trace context from incoming headers (HTTP or gRPC metadata as a plain object). */
export function extractContext(headers: Record<string, string | string[] | undefined>) {
  return propagation.extract(context.active(), headers, {
    keys: (carrier) => Object.keys(carrier),
    get: (carrier, key) => {
      const value = carrier[key];
      return Array.isArray(value) ? value[0] : value;
    },
  });
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The span context a W3C traceparent (`00-<trace id>-<span id>-<flags>`) names, as a remote
 * parent or a span link's target; undefined when it is empty, malformed or all zeros.
 */
export function spanContextOf(traceparent: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(traceparent);
  if (!m || m[1] === 'ff') return undefined;
  const spanContext: SpanContext = { traceId: m[2]!, spanId: m[3]!, traceFlags: Number.parseInt(m[4]!, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** A context whose parent is the span a traceparent names (the root context when there is none). */
export function contextOf(traceparent: string): Context {
  const spanContext = spanContextOf(traceparent);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** The W3C traceparent of a span (`00-<trace id>-<span id>-<flags>`). */
export function traceparentOfSpan(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags.toString(16).padStart(2, '0')}`;
}

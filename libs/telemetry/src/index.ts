export { countDeadLetter, createMetricsRegistry, Counter, Gauge, Histogram, LATENCY_BUCKETS, Registry } from './metrics.js';
export { contextOf, extractContext, spanContextOf, startTracing, traceparentOfSpan, type Tracing, type TracingOptions } from './tracing.js';
export { SpanKind, SpanStatusCode, trace, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
export { serveClusterMetrics, shareClusterMetrics } from './cluster-metrics.js';

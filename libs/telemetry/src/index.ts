export { createMetricsRegistry, Counter, Gauge, Histogram, LATENCY_BUCKETS, Registry } from './metrics.js';
export { extractContext, startTracing, type Tracing, type TracingOptions } from './tracing.js';
export { serveClusterMetrics, shareClusterMetrics } from './cluster-metrics.js';

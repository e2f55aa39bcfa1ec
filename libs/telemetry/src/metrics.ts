import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/**
 * Dead letters the process wrote (libs/kafka's writer: undecodable records and records a handler
 * rejected), by stage and reason code. One counter per process, on every service registry, so each
 * service's /metrics has its DLQ counts by reason without wiring of its own.
 */
const deadLetters = new Counter({
  name: 'clickwise_kafka_dead_letters_total',
  help: 'Records this process wrote to clickstream.dlq.v1 from its consumers, by stage and reason code',
  labelNames: ['stage', 'reason'],
  registers: [],
});

/** Counts one dead letter written (libs/kafka calls it once Kafka acknowledged the letter). */
export function countDeadLetter(stage: string, reason: string): void {
  deadLetters.inc({ stage, reason });
}

/**
 * A Prometheus registry for one service: process metrics (CPU, memory, event-loop lag, GC) plus
 * whatever the service registers, all labelled with `service`. Serve `registry.metrics()` on
 * GET /metrics with `registry.contentType`.
 */
export function createMetricsRegistry(serviceName: string, options: { processMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  registry.registerMetric(deadLetters);
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Latency buckets in seconds, from 0.5 ms to 10 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

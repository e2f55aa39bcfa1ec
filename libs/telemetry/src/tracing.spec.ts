import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { createMetricsRegistry, Counter } from './metrics.js';
import { extractContext, startTracing } from './tracing.js';

void describe('telemetry', () => {
  const tracing = startTracing({ serviceName: 'telemetry-spec' });
  after(() => tracing.shutdown());

  void it('continues an incoming trace and propagates the active span to outgoing headers', async () => {
    const incoming = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const parent = extractContext(incoming);
    await context.with(parent, () =>
      tracing.tracer.startActiveSpan('request', async (span) => {
        await new Promise((r) => setImmediate(r));
        const out: Record<string, string> = {};
        propagation.inject(context.active(), out);
        span.end();
        assert.match(out.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
        assert.notEqual(out.traceparent, incoming.traceparent, 'a new span id, same trace');
        assert.equal(trace.getSpan(context.active()), span);
      }),
    );
  });

  void it('serves Prometheus text with the service label', async () => {
    const registry = createMetricsRegistry('telemetry-spec', { processMetrics: false });
    const counter = new Counter({ name: 'things_total', help: 'things', labelNames: ['kind'], registers: [registry] });
    counter.inc({ kind: 'a' }, 3);
    const text = await registry.metrics();
    assert.match(text, /things_total\{kind="a",service="telemetry-spec"\} 3/);
  });
});

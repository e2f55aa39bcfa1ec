import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { FeatureUpdateSchema, PredictionUpdateSchema } from '@clickwise/contracts';
import { createMetricsRegistry } from '@clickwise/telemetry';
import { coalesce } from './coalesce.js';
import { ClickTracing } from './tracing.js';

const notice = (shopperKey: string, eventId: string, acceptedAtMs: number) => ({
  value: create(FeatureUpdateSchema, { shopperKey, eventId, acceptedAtMs: BigInt(acceptedAtMs), traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` }),
  timestampMs: acceptedAtMs + 3,
});

void describe('ClickTracing', () => {
  void it('observes click → prediction per covered click from its acceptance time, once written; no spans without a tracer', async () => {
    const registry = createMetricsRegistry('tracing-spec', { processMetrics: false });
    const tracing = new ClickTracing(undefined, registry, 'features.updated.v1');
    const groups = coalesce([notice('a', 'e1', 1000), notice('b', 'e2', 1900), notice('a', 'e3', 1500), notice('b', 'e4', 0)]);
    const updates = groups.map((g) => create(PredictionUpdateSchema, { shopperKey: g.shopperKey, eventIds: g.eventIds }));
    const spans = tracing.scoring(groups, updates, 1990);
    assert.deepEqual(spans.headers, [{}, {}], 'no tracer: nothing to carry');
    const before = await registry.getSingleMetricAsString('clickwise_prediction_click_to_prediction_seconds');
    assert.match(before, /_count\{service="tracing-spec"\} 0/, 'nothing before the write is acknowledged');
    spans.written(2000);
    const text = await registry.getSingleMetricAsString('clickwise_prediction_click_to_prediction_seconds');
    const value = (suffix: string) => Number(new RegExp(`_${suffix}\\{service="tracing-spec"\\} (\\S+)`).exec(text)?.[1]);
    // e1 1.0 s, e3 0.5 s, e2 0.1 s; e4 has no acceptance time (a notice from before the field) and is not observed.
    assert.equal(value('count'), 3);
    assert.ok(Math.abs(value('sum') - 1.6) < 1e-9, text);
    assert.match(text, /_bucket\{le="0.1",service="tracing-spec"\} 1\n/);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMetricsRegistry } from '@clickwise/telemetry';
import { registerConsumerLag, type LagRow } from './lag-metrics.js';

const series = (text: string, name: string) => [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => `${m[1] ?? ''} ${m[2]}`);

void describe('registerConsumerLag', () => {
  void test('one series per group and partition, read at each scrape; partitions gone from the read are dropped', async () => {
    const registry = createMetricsRegistry('svc', { processMetrics: false });
    let rows: LagRow[] = [
      { groupId: 'g', topic: 't', partition: 0, lag: 5 },
      { groupId: 'g', topic: 't', partition: 1, lag: 0 },
    ];
    registerConsumerLag(registry, () => Promise.resolve(rows));
    assert.deepStrictEqual(series(await registry.metrics(), 'clickwise_kafka_consumer_lag'), [
      '{group="g",topic="t",partition="0",service="svc"} 5',
      '{group="g",topic="t",partition="1",service="svc"} 0',
    ]);
    rows = [{ groupId: 'g', topic: 't', partition: 1, lag: 7 }];
    assert.deepStrictEqual(series(await registry.metrics(), 'clickwise_kafka_consumer_lag'), ['{group="g",topic="t",partition="1",service="svc"} 7']);
  });

  void test('a read that fails or hangs keeps the last figures, counts an error, and does not hold the scrape', async () => {
    const registry = createMetricsRegistry('svc', { processMetrics: false });
    let read: () => Promise<LagRow[]> = () => Promise.resolve([{ groupId: 'g', topic: 't', partition: 0, lag: 3 }]);
    registerConsumerLag(registry, () => read(), { timeoutMs: 50 });
    await registry.metrics();
    read = () => new Promise<LagRow[]>(() => undefined);
    const started = Date.now();
    const text = await registry.metrics();
    assert.ok(Date.now() - started < 1000, 'the scrape returned within the timeout');
    assert.deepStrictEqual(series(text, 'clickwise_kafka_consumer_lag'), ['{group="g",topic="t",partition="0",service="svc"} 3']);
    read = () => Promise.reject(new Error('broker down'));
    assert.deepStrictEqual(series(await registry.metrics(), 'clickwise_kafka_consumer_lag'), ['{group="g",topic="t",partition="0",service="svc"} 3']);
    read = () => Promise.resolve([{ groupId: 'g', topic: 't', partition: 0, lag: 4 }]);
    const after = await registry.metrics();
    assert.deepStrictEqual(series(after, 'clickwise_kafka_consumer_lag'), ['{group="g",topic="t",partition="0",service="svc"} 4']);
    assert.deepStrictEqual(series(after, 'clickwise_kafka_lag_read_errors_total'), ['{service="svc"} 2'], 'the hang and the failure, counted');
  });
});

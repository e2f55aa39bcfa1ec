import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyTracker } from './latency.js';
import { parseSamples } from './prometheus-text.js';

const page = (fast: number, slow: number, method = 'Predict') => `
m_seconds_bucket{method="${method}",le="0.01"} ${fast}
m_seconds_bucket{method="${method}",le="1"} ${fast + slow}
m_seconds_bucket{method="${method}",le="+Inf"} ${fast + slow}
`;

void test('latency percentiles are those of the increase within the window; none observed: null', () => {
  const t = new LatencyTracker({ id: 'x', label: 'x', target: 'svc', metric: 'm_seconds', by: 'method' }, 10_000);
  assert.equal(t.figures().p50, null, 'one reading is no window yet');
  t.add(0, parseSamples(page(1000, 0)));
  t.add(5000, parseSamples(page(1000, 0)));
  assert.deepEqual(t.figures(), { id: 'x', p50: null, p99: null, count: 0, by: { Predict: { p50: null, p99: null, count: 0 } } }, 'the 1000 fast ones came before the window');
  t.add(10_000, parseSamples(page(1000, 100)));
  const f = t.figures();
  assert.equal(f.count, 100);
  // All 100 new ones are in (0.01, 1]: p50 = 0.01 + 0.99 * 0.5.
  assert.ok(Math.abs(f.p50! - 0.505) < 1e-9, String(f.p50));
  assert.equal(f.by.Predict?.count, 100);
  // Past the window: the base moves to t=10000, and no new observations.
  t.add(20_001, parseSamples(page(1000, 100)));
  assert.equal(t.figures().count, 0);
  // The target went away: no samples, no figures (not the stale ones).
  t.add(25_000, []);
  assert.equal(t.figures().p99, null);
});

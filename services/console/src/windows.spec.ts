import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CounterWindow, Ring } from './windows.js';

void describe('windows', () => {
  void test('rate over the trailing window; undefined until two readings; a reset starts over', () => {
    const w = new CounterWindow(10_000);
    assert.equal(w.rate(5000), undefined);
    w.add(0, 100);
    assert.equal(w.rate(5000), undefined);
    w.add(1000, 150);
    assert.equal(w.rate(5000), 50);
    for (let t = 2000; t <= 10_000; t += 1000) w.add(t, 150 + (t / 1000 - 1) * 10);
    // From t=5000 (190) to t=10000 (240): 10/s, the burst at the start is outside the window.
    assert.equal(w.rate(5000), 10);
    // Readings further apart than the window: the rate over the span they cover.
    const slow = new CounterWindow(10_000);
    slow.add(0, 0);
    slow.add(3000, 300);
    assert.equal(slow.rate(1000), 100);
    w.add(11_000, 3);
    assert.equal(w.rate(5000), undefined);
    w.add(12_000, 13);
    assert.equal(w.rate(5000), 10);
  });

  void test('ring keeps the newest, oldest first', () => {
    const r = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) r.push(i);
    assert.deepEqual(r.toArray(), [3, 4, 5]);
    assert.equal(r.length, 3);
  });
});

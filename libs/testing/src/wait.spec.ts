import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { uniqueName, waitFor } from './wait.js';

void describe('waitFor', () => {
  void test('returns the first value that is not undefined/false', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
    assert.deepStrictEqual(value, { calls: 3 });
  });

  void test('0 and the empty string count as answers (only undefined and false mean "not yet")', async () => {
    assert.equal(await waitFor(() => 0), 0);
    assert.equal(await waitFor(() => ''), '');
  });

  void test('keeps polling through errors and times out naming the condition and the last error', async () => {
    const started = Date.now();
    await assert.rejects(
      waitFor(
        () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 100, intervalMs: 10, message: 'the broker' },
      ),
      /timed out after 100 ms waiting for the broker \(last error: connection refused\)/,
    );
    assert.ok(Date.now() - started >= 100);
  });

  void test('awaits async conditions', async () => {
    let n = 0;
    assert.equal(await waitFor(() => Promise.resolve(++n === 2 ? 'ready' : false), { intervalMs: 1 }), 'ready');
  });
});

void describe('uniqueName', () => {
  void test('keeps the prefix and never repeats', () => {
    const names = Array.from({ length: 1000 }, () => uniqueName('topic'));
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^topic-[0-9a-z]+-[0-9a-f]{8}$/);
  });
});

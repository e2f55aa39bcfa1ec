import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Health } from './health.js';
import { ServiceLogger } from './logger.js';

const quiet = () => ServiceLogger.create('test', 'error', new Writable({ write: (_c, _e, done) => done() }));

void describe('Health', () => {
  void test('ready only when every named check holds; each check is reported by name', async () => {
    let redis = true;
    const health = new Health({ kafka: () => true, redis: async () => Promise.resolve(redis) }, quiet());
    await health.check();
    assert.deepEqual({ ready: health.readiness.ready, checks: health.readiness.checks }, { ready: true, checks: { kafka: true, redis: true } });
    redis = false;
    await health.check();
    assert.deepEqual({ ready: health.readiness.ready, checks: health.readiness.checks }, { ready: false, checks: { kafka: true, redis: false } });
  });

  void test('a check that throws or hangs counts as failed, within the timeout', async () => {
    const health = new Health({ broken: () => Promise.reject(new Error('down')), hung: () => new Promise<boolean>(() => undefined) }, quiet(), { timeoutMs: 50 });
    const started = Date.now();
    await health.check();
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(health.readiness.checks, { broken: false, hung: false });
  });

  void test('the checks run on start and then every interval', async () => {
    let up = false;
    const health = new Health({ dep: () => up }, quiet(), { intervalMs: 20 });
    await health.start();
    assert.equal(health.readiness.ready, false);
    up = true;
    const deadline = Date.now() + 5000;
    while (!health.readiness.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    health.stop();
    assert.equal(health.readiness.ready, true);
  });

  void test('draining makes it unready at once and tells the listeners', async () => {
    const health = new Health({ ok: () => true }, quiet());
    const seen: boolean[] = [];
    health.onChange((ready) => seen.push(ready));
    await health.check();
    health.drain();
    assert.equal(health.readiness.ready, false);
    await health.check();
    assert.equal(health.readiness.ready, false, 'checks while draining do not turn it ready again');
    assert.deepEqual(seen, [true, false]);
  });
});

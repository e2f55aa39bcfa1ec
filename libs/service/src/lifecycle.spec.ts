import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { Health } from './health.js';
import { Lifecycle } from './lifecycle.js';
import { ServiceLogger } from './logger.js';

void describe('Lifecycle', () => {
  void test('starts in order, drains in order after turning unready, stops in reverse; a failed stop does not stop the rest', async () => {
    const steps: string[] = [];
    const errors: string[] = [];
    const logger = ServiceLogger.create(
      'test',
      'error',
      new Writable({
        write(chunk: Buffer, _e, done) {
          errors.push(chunk.toString());
          done();
        },
      }),
    );
    const health = new Health({ ok: () => true }, logger);
    const part = (name: string, failStop = false) => ({
      name,
      start: () => Promise.resolve(void steps.push(`start ${name}`)),
      drain: () => Promise.resolve(void steps.push(`drain ${name} ready=${health.readiness.ready}`)),
      stop: () => (steps.push(`stop ${name}`), failStop ? Promise.reject(new Error('flush failed')) : Promise.resolve()),
    });
    const lifecycle = new Lifecycle([part('kafka', true), part('consumers')], health, logger);
    await lifecycle.onModuleInit();
    assert.equal(health.readiness.ready, true, 'health checks start after the parts');
    await lifecycle.beforeApplicationShutdown();
    await lifecycle.onApplicationShutdown();
    assert.deepEqual(steps, ['start kafka', 'start consumers', 'drain kafka ready=false', 'drain consumers ready=false', 'stop consumers', 'stop kafka']);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /"part":"kafka".*flush failed|flush failed.*"part":"kafka"/);
  });
});

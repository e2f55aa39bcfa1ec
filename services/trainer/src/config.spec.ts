import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '@clickwise/config';
import { TrainerConfig } from './config.js';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379' };

void describe('trainer config', () => {
  void it('has the documented defaults', () => {
    const c = TrainerConfig.load(base);
    assert.equal(c.httpPort, 8083);
    assert.equal(c.intervalMs, 6 * 3_600_000);
    assert.equal(c.retrainAfterEvents, 50_000);
    assert.equal(c.historyMs, undefined);
  });

  void it('reads TRAINER_INTERVAL as a duration', () => {
    const table: [string, number][] = [['6h', 21_600_000], ['90m', 5_400_000], ['30s', 30_000], ['500ms', 500], ['2d', 172_800_000], ['1500', 1500], ['1.5h', 5_400_000]];
    for (const [raw, ms] of table) assert.equal(TrainerConfig.load({ ...base, TRAINER_INTERVAL: raw }).intervalMs, ms, raw);
  });

  void it('names every bad variable at once', () => {
    assert.throws(
      () => TrainerConfig.load({ ...base, TRAINER_INTERVAL: 'soon', TRAINER_RETRAIN_AFTER_EVENTS: '0', TRAINER_LEASE_MS: '-1' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const name of ['TRAINER_INTERVAL', 'TRAINER_RETRAIN_AFTER_EVENTS', 'TRAINER_LEASE_MS']) assert.match(text, new RegExp(name));
        return true;
      },
    );
  });
});

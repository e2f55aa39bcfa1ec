import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { containerEngineReachable, startTestInfra, testInfra } from './infra.js';

/** Sets env vars for one test and puts the old values back afterwards. */
function withEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, value] of Object.entries(v)) {
      if (value === undefined) delete process.env[k];
      else process.env[k] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}

void describe('startTestInfra: choosing where Kafka and Redis come from', () => {
  let restore: () => void = () => undefined;
  after(() => restore());

  void test("KAFKA_BROKERS and REDIS_URL set → 'env', chosen in well under 50 ms, nothing started or stopped", async () => {
    restore = withEnv({ KAFKA_BROKERS: '127.0.0.1:39092,127.0.0.1:39094', REDIS_URL: 'redis://127.0.0.1:36379/1' });
    const started = performance.now();
    // Ports that nothing listens on: with 'env' chosen, the scripts are never run.
    const infra = await startTestInfra({ kafkaPort: 1, redisPort: 2 });
    const wallMs = performance.now() - started;
    console.log(`startTestInfra with env: ${wallMs.toFixed(2)} ms; ${infra.describe()}`);
    assert.equal(infra.provider, 'env');
    assert.deepStrictEqual(infra.kafkaBrokers, ['127.0.0.1:39092', '127.0.0.1:39094']);
    assert.equal(infra.redisUrl, 'redis://127.0.0.1:36379/1');
    assert.ok(wallMs < 50, `took ${wallMs} ms`);
    assert.ok(infra.detectMs < 50);
    assert.match(infra.describe(), /^infra: env \(KAFKA_BROKERS=127\.0\.0\.1:39092,127\.0\.0\.1:39094, REDIS_URL=redis:\/\/127\.0\.0\.1:36379\/1\), chosen in \d+ ms$/);
    await infra.stop();
  });
});

void describe('container engine detection', () => {
  void test('answers within a second; with no engine on this machine it fails fast', async () => {
    const started = performance.now();
    const reachable = await containerEngineReachable();
    const ms = performance.now() - started;
    console.log(`container engine detection: ${reachable ? 'reachable' : 'not reachable'} in ${ms.toFixed(1)} ms`);
    if (!reachable) assert.ok(ms < 1000, `detecting that no engine runs took ${ms} ms`);
    else assert.ok(ms < 10_000, `detecting the engine took ${ms} ms`);
    // A second look is as quick (the suite may ask more than once).
    const again = performance.now();
    assert.equal(await containerEngineReachable(), reachable);
    assert.ok(performance.now() - again < 1000);
  });
});

void describe('testInfra', () => {
  let restore: () => void = () => undefined;
  before(() => {
    restore = withEnv({ KAFKA_BROKERS: undefined, REDIS_URL: undefined });
  });
  after(() => restore());

  void test('says how to get Kafka and Redis when the runner did not provide them', () => {
    assert.throws(() => testInfra(), /KAFKA_BROKERS and REDIS_URL are not set: run the suite with \.\/clickwise test/);
    const undo = withEnv({ KAFKA_BROKERS: 'h:1' });
    try {
      assert.throws(() => testInfra(), /not set/, 'both are needed');
    } finally {
      undo();
    }
  });

  void test('reads them when set', () => {
    const undo = withEnv({ KAFKA_BROKERS: 'a:1,b:2', REDIS_URL: 'redis://r:3' });
    try {
      assert.deepStrictEqual(testInfra(), { kafkaBrokers: ['a:1', 'b:2'], redisUrl: 'redis://r:3' });
    } finally {
      undo();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeyStore } from '@clickwise/api-keys';
import { RedisKeys } from '@clickwise/redis';
import { testInfra } from '@clickwise/testing';
import { FeaturesScope } from '../features/harness.js';
import { TestScope } from '../ingestion/harness.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

interface LogLine {
  level: string;
  time: string;
  service: string;
  msg: string;
  component?: string;
  [field: string]: unknown;
}

/** Every line of a service's output as the kit's JSON; fails naming the first line that is not. */
function parseLog(output: string, service: string): LogLine[] {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return lines.map((line) => {
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      assert.fail(`${service}: a line that is not JSON: ${line}`);
    }
    assert.ok(['debug', 'info', 'warn', 'error'].includes(parsed.level), `${service}: level ${parsed.level} in ${line}`);
    assert.equal(parsed.service, service, line);
    assert.equal(typeof parsed.msg, 'string', line);
    assert.ok(!Number.isNaN(Date.parse(parsed.time)), line);
    return parsed;
  });
}

/**
 * The service kit as a process shows it: one JSON log format for the service, Nest, kafkajs and
 * config errors; a normal start and stop logs no error; the features ops endpoint answers auth
 * errors like ingestion does (one mapping, one key extractor).
 */
void describe('service kit: one log format, clean start and stop, one error mapping', () => {
  let ingestion: TestScope;
  let features: FeaturesScope;

  before(async () => {
    const infra = testInfra();
    ingestion = new TestScope('kit-ingestion', infra.kafkaBrokers, infra.redisUrl);
    features = new FeaturesScope('kit-features', infra.kafkaBrokers, infra.redisUrl);
    await Promise.all([ingestion.createTopics(), features.createTopics()]);
  });

  after(async () => {
    await ingestion.dispose();
    await features.dispose();
  });

  // At info (debug would log kafkajs's metadata of every test topic on the shared broker).
  for (const name of ['ingestion', 'features'] as const) {
    const level = 'info';
    void it(`${name}: start and SIGTERM at LOG_LEVEL=${level} log only the kit's JSON lines, none at error`, async () => {
      const service = name === 'ingestion' ? await ingestion.start({ LOG_LEVEL: level }) : await features.start({ LOG_LEVEL: level });
      const code = await service.stop();
      assert.equal(code, 0, service.output());
      const lines = parseLog(service.output(), name);
      assert.deepEqual(lines.filter((l) => l.level === 'error'), [], 'no error lines during a normal start and stop');
      const messages = lines.map((l) => l.msg);
      assert.ok(messages.includes(`${name} ready`), messages.join(' | '));
      assert.ok(messages.includes('stopped'), messages.join(' | '));
      assert.deepEqual(lines.filter((l) => l.level === 'debug'), [], 'LOG_LEVEL=info filters debug, kafkajs and Nest included');
      // The features consumers' group joins are kafkajs info lines, in the same format.
      if (name === 'features') assert.ok(lines.some((l) => l.component === 'kafkajs' && l.level === 'info'), 'kafkajs logs through the kit');
    });
  }

  void it('a bad configuration exits 2 with one JSON line naming every bad variable', async () => {
    const service = await startServiceProcess('ingestion', { KAFKA_BROKERS: 'no-port', REDIS_URL: 'http://x', INGEST_MAX_BATCH_EVENTS: '0', LOG_LEVEL: 'info' }, { ready: false });
    assert.equal(await service.exited, 2);
    const [line, ...rest] = parseLog(service.output(), 'ingestion');
    assert.deepEqual(rest, []);
    assert.equal(line!.level, 'error');
    const problems = (line!.problems as string[]).map((p) => p.split(/[.:]/)[0]).sort();
    assert.deepEqual(problems, ['INGEST_MAX_BATCH_EVENTS', 'KAFKA_BROKERS', 'REDIS_URL']);
  });

  void it('features ops: 401 with WWW-Authenticate, the key from x-api-key, Bearer or ?key=, 400 naming the field', async () => {
    const service: ServiceProcess = await features.start();
    try {
      const store = new ApiKeyStore(features.redis, new RedisKeys(features.redisKeyPrefix));
      const { key } = await store.create({ name: 'operator', scopes: ['ops'] });
      const post = (headers: Record<string, string>, body: unknown, query = '') =>
        fetch(`${service.url}/ops/erasures${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      const refused = await post({}, { shopperKey: 'x' });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="clickwise"');
      assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unauthenticated');
      const bad = await post({ authorization: `Bearer ${key}` }, { shopperKey: '' });
      assert.equal(bad.status, 400);
      assert.deepEqual(((await bad.json()) as { error: { field: string } }).error.field, 'shopperKey');
      assert.equal((await post({}, { shopperKey: 'kit-shopper' }, `?key=${encodeURIComponent(key)}`)).status, 200);
      assert.equal((await post({ 'x-api-key': key }, { shopperKey: 'kit-shopper' })).status, 200);
    } finally {
      await service.stop();
    }
  });
});

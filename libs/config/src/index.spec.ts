import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, defineConfig, env, flag, kafkaBrokers, loadConfig, parseConfig, port, positiveInt, redisUrl, serviceConfig, z } from './index.js';

const schema = z.object({
  KAFKA_BROKERS: kafkaBrokers,
  REDIS_URL: redisUrl,
  HTTP_PORT: port(8080),
  WORKERS: positiveInt(4),
  DEBUG: flag(false),
});

/** Whatever parseConfig threw, as a ConfigError. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected parseConfig to throw');
}

void describe('parseConfig', () => {
  void test('parses a good environment and applies the defaults', () => {
    const config = parseConfig('ingest', schema, { KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094', REDIS_URL: 'redis://127.0.0.1:6379/2' });
    assert.deepStrictEqual(config, {
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.1:9094'],
      REDIS_URL: 'redis://127.0.0.1:6379/2',
      HTTP_PORT: 8080,
      WORKERS: 4,
      DEBUG: false,
    });
  });

  void test('lists every bad key at once, with why, naming the service', () => {
    const error = configErrorOf(() =>
      parseConfig('features', schema, { KAFKA_BROKERS: 'localhost', REDIS_URL: 'http://x', HTTP_PORT: '70000', WORKERS: '0', DEBUG: 'maybe' }),
    );
    assert.equal(error.service, 'features');
    assert.deepStrictEqual(
      error.problems.map((p) => p.split(':')[0]),
      ['KAFKA_BROKERS.0', 'REDIS_URL', 'HTTP_PORT', 'WORKERS', 'DEBUG'],
    );
    assert.match(error.message, /^features: invalid configuration:\n/);
    for (const problem of error.problems) assert.ok(error.message.includes(`  - ${problem}`), `message lists "${problem}"`);
    assert.match(error.message, /KAFKA_BROKERS\.0: each broker must be host:port/);
    assert.match(error.message, /REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
  });

  void test('a missing required key is named too', () => {
    const error = configErrorOf(() => parseConfig('scoring', schema, { HTTP_PORT: '9000' }));
    assert.deepStrictEqual(error.problems, [
      'KAFKA_BROKERS: required: comma-separated host:port list',
      'REDIS_URL: must be a redis:// or rediss:// URL',
    ]);
  });

  void test('a schema-level problem is reported as (root)', () => {
    const error = configErrorOf(() => parseConfig('x', z.object({}).refine(() => false, 'nothing fits'), {}));
    assert.deepStrictEqual(error.problems, ['(root): nothing fits']);
  });

  void test('reads process.env by default', () => {
    const key = `CLICKWISE_SPEC_${process.pid}`;
    process.env[key] = '42';
    try {
      assert.deepStrictEqual(parseConfig('x', z.object({ [key]: positiveInt(1) })), { [key]: 42 });
    } finally {
      delete process.env[key];
    }
  });
});

void describe('kafkaBrokers', () => {
  const good: [string, string[]][] = [
    ['127.0.0.1:9092', ['127.0.0.1:9092']],
    ['a:1,b:2', ['a:1', 'b:2']],
    [' a:1 , b:2 ', ['a:1', 'b:2']],
    ['a:1,,b:2,', ['a:1', 'b:2']],
    ['kafka-0.kafka.svc.cluster.local:9092', ['kafka-0.kafka.svc.cluster.local:9092']],
  ];
  for (const [input, expected] of good) {
    void test(`accepts ${JSON.stringify(input)}`, () => assert.deepStrictEqual(kafkaBrokers.parse(input), expected));
  }
  const bad: [unknown, RegExp][] = [
    ['', /at least one broker/],
    [',', /at least one broker/],
    ['localhost', /host:port/],
    ['a:123456', /host:port/],
    ['a b:1', /host:port/],
    ['a:1,b', /host:port/],
    [undefined, /required/],
    [9092, /required/],
  ];
  for (const [input, message] of bad) {
    void test(`rejects ${JSON.stringify(input)}`, () => {
      const result = kafkaBrokers.safeParse(input);
      assert.equal(result.success, false);
      assert.match(result.error?.issues.map((i) => i.message).join('; ') ?? '', message);
    });
  }

  void test('agrees with a naive split on random broker lists', () => {
    const pad = () => ' '.repeat(Math.floor(Math.random() * 3));
    for (let round = 0; round < 500; round++) {
      const brokers = Array.from({ length: 1 + Math.floor(Math.random() * 5) }, (_, i) => `h${round}-${i}.example:${Math.floor(Math.random() * 65536)}`);
      const input = brokers.map((b) => `${pad()}${b}${pad()}`).join(Math.random() < 0.2 ? ',,' : ',');
      assert.deepStrictEqual(kafkaBrokers.parse(input), brokers, input);
    }
  });
});

void describe('redisUrl', () => {
  for (const url of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/3', 'rediss://cache.example.com:6380', 'redis://:secret@host:6379/0']) {
    void test(`accepts ${url}`, () => assert.equal(redisUrl.parse(url), url));
  }
  for (const url of ['http://127.0.0.1:6379', '127.0.0.1:6379', 'not a url', undefined]) {
    void test(`rejects ${String(url)}`, () => {
      const result = redisUrl.safeParse(url);
      assert.equal(result.success, false);
      assert.equal(result.error?.issues[0]?.message, 'must be a redis:// or rediss:// URL');
    });
  }
  void test('rejects a URL without a host', () => {
    const result = redisUrl.safeParse('redis://');
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? '', /must (name a host|be a redis)/);
  });
});

void describe('port, positiveInt, flag', () => {
  const ports: [string | undefined, number | 'error'][] = [
    [undefined, 8080],
    ['', 8080],
    ['0', 0],
    ['6379', 6379],
    ['65535', 65535],
    ['65536', 'error'],
    ['-1', 'error'],
    ['80.5', 'error'],
    ['abc', 'error'],
  ];
  for (const [input, expected] of ports) {
    void test(`port(8080) of ${JSON.stringify(input)} → ${expected}`, () => {
      const result = port(8080).safeParse(input);
      if (expected === 'error') assert.equal(result.success, false);
      else assert.equal(result.data, expected);
    });
  }

  const ints: [string | undefined, number | 'error'][] = [
    [undefined, 4],
    ['', 4],
    ['1', 1],
    ['64', 64],
    ['0', 'error'],
    ['-3', 'error'],
    ['2.5', 'error'],
  ];
  for (const [input, expected] of ints) {
    void test(`positiveInt(4) of ${JSON.stringify(input)} → ${expected}`, () => {
      const result = positiveInt(4).safeParse(input);
      if (expected === 'error') assert.equal(result.success, false);
      else assert.equal(result.data, expected);
    });
  }

  const flags: [string | undefined, boolean, boolean | 'error'][] = [
    [undefined, true, true],
    [undefined, false, false],
    ['', true, true],
    ['', false, false],
    ['true', false, true],
    ['1', false, true],
    ['yes', false, true],
    ['false', true, false],
    ['0', true, false],
    ['no', true, false],
    ['maybe', true, 'error'],
    ['TRUE', false, 'error'],
  ];
  for (const [input, fallback, expected] of flags) {
    void test(`flag(${fallback}) of ${JSON.stringify(input)} → ${expected}`, () => {
      const result = flag(fallback).safeParse(input);
      if (expected === 'error') assert.equal(result.success, false);
      else assert.equal(result.data, expected);
    });
  }
});

void describe('serviceConfig', () => {
  void test('the shared service fields: required ones listed together, defaults for the rest', () => {
    assert.throws(
      () => loadConfig('svc', serviceConfig, {}),
      (error: unknown) => error instanceof ConfigError && error.problems.length === 2 && error.problems.every((p) => /^(KAFKA_BROKERS|REDIS_URL):/.test(p)),
    );
    const config = loadConfig('svc', serviceConfig, { KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'warn' });
    assert.deepEqual(
      { ...config },
      {
        kafkaBrokers: ['127.0.0.1:9092'],
        redisUrl: 'redis://127.0.0.1:6379',
        redisKeyPrefix: 'cw:',
        topicPrefix: '',
        host: '0.0.0.0',
        dlqMaxPayloadBytes: 65536,
        shutdownGraceMs: 15000,
        otlpEndpoint: undefined,
        logLevel: 'warn',
        kafkaClient: 'kafkajs',
      },
    );
  });
});

void describe('defineConfig', () => {
  class ShopConfig extends defineConfig('shop', {
    ...serviceConfig,
    httpPort: env('HTTP_PORT', port(8080)),
    limits: { maxItems: env('SHOP_MAX_ITEMS', positiveInt(10)), strict: env('SHOP_STRICT', flag(false)) },
  }) {}
  const base = { KAFKA_BROKERS: 'k:9092', REDIS_URL: 'redis://r:6379' };

  void test('the schema produces the typed object, nested groups included, as an instance of the class', () => {
    const config = ShopConfig.load({ ...base, HTTP_PORT: '9000', SHOP_STRICT: 'yes' });
    assert.ok(config instanceof ShopConfig);
    assert.equal(config.httpPort, 9000);
    assert.deepEqual(config.limits, { maxItems: 10, strict: true });
    assert.deepEqual(config.kafkaBrokers, ['k:9092']);
  });

  void test('every bad variable is named by its environment name, nested ones too', () => {
    const error = configErrorOf(() => ShopConfig.load({ HTTP_PORT: 'x', SHOP_MAX_ITEMS: '0' }));
    assert.equal(error.service, 'shop');
    assert.deepEqual(error.problems.map((p) => p.split(':')[0]).sort(), ['HTTP_PORT', 'KAFKA_BROKERS', 'REDIS_URL', 'SHOP_MAX_ITEMS']);
  });

  void test('values other than the declared variables are ignored', () => {
    const config = ShopConfig.load({ ...base, UNRELATED: 'x' });
    assert.equal('UNRELATED' in config, false);
  });
});

import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { RateLimitedError, type ApiKeyRecord } from '@clickwise/api-keys';
import { decodeCatalogItem } from '@clickwise/catalog';
import { CatalogItemSchema, DeadLetterSchema } from '@clickwise/contracts';
import { ForbiddenError, OverloadedError, UnavailableError } from '@clickwise/errors';
import type { OutgoingRecord } from '@clickwise/kafka';
import { createMetricsRegistry } from '@clickwise/telemetry';
import { CatalogIngestion, checkItemCount, parseCatalogBody } from './catalog.service.js';
import { IngestionConfig } from './config.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { CatalogLog, DedupeStore, EventLog, KeyAuthority, type ClaimStatus } from './ingestion.ports.js';
import { IngestionService } from './ingestion.service.js';

const NOW = Date.UTC(2026, 11, 2, 16, 0, 0);
const config = IngestionConfig.load({ KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379', DLQ_MAX_PAYLOAD_BYTES: '100', KAFKA_ACK_TIMEOUT_MS: '50' });
const key = (scopes: ApiKeyRecord['scopes'], id = 'key_c'): ApiKeyRecord => ({ id, name: id, scopes, ratePerSecond: 0, createdAtMs: 0 });

class FakeKeys extends KeyAuthority {
  limited = false;
  counted = 0;
  readonly keys = new Map([
    ['cat', key(['catalog'])],
    ['ingest', key(['ingest'], 'key_i')],
  ]);
  authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    const record = secret ? this.keys.get(secret) : undefined;
    return record ? Promise.resolve(record) : Promise.reject(new Error('unexpected key'));
  }
  consumeRate(_record: ApiKeyRecord, n: number): Promise<void> {
    this.counted += n;
    return this.limited ? Promise.reject(new RateLimitedError('limited', 300)) : Promise.resolve();
  }
}

class FakeCatalogLog extends CatalogLog {
  readonly topic = 'p.catalog.items.v1';
  items: OutgoingRecord[] = [];
  mode: 'ok' | 'overloaded' | 'hang' = 'ok';
  writeItems(records: OutgoingRecord[]): Promise<void> {
    if (this.mode === 'overloaded') return Promise.reject(new OverloadedError('Kafka is not keeping up', 200));
    if (this.mode === 'hang') return new Promise(() => undefined);
    this.items.push(...records);
    return Promise.resolve();
  }
}

class FakeEventLog extends EventLog {
  deadLetters: OutgoingRecord[] = [];
  writeEvents(): Promise<void> {
    return Promise.reject(new Error('catalogue updates write no events'));
  }
  writeDeadLetters(records: OutgoingRecord[]): Promise<void> {
    this.deadLetters.push(...records);
    return Promise.resolve();
  }
}

class NoDedupe extends DedupeStore {
  claim(ids: readonly string[]): Promise<ClaimStatus[]> {
    return Promise.resolve(ids.map(() => 'new' as const));
  }
  commit(): Promise<void> {
    return Promise.resolve();
  }
  release(): Promise<void> {
    return Promise.resolve();
  }
}

void describe('CatalogIngestion', () => {
  let keys: FakeKeys;
  let catalog: FakeCatalogLog;
  let events: FakeEventLog;
  let metrics: IngestionMetrics;
  let service: CatalogIngestion;
  const writer = key(['catalog']);

  beforeEach(() => {
    keys = new FakeKeys();
    catalog = new FakeCatalogLog();
    events = new FakeEventLog();
    metrics = new IngestionMetrics(createMetricsRegistry('catalog-spec', { processMetrics: false }));
    service = new CatalogIngestion(config, keys, catalog, events, metrics, () => NOW);
  });

  void it('writes each good item keyed by its id, lists and dead-letters the bad ones', async () => {
    const result = await service.put(writer, 'http', {
      kind: 'json',
      items: [{ itemId: 'a', available: true, price: 3, currency: 'EUR', categoryId: 'c1' }, { itemId: 'b', available: true, price: -1 }, 42, { itemId: 'c', available: false }],
    });
    assert.equal(result.accepted, 2);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.itemId, r.field, r.code]),
      [
        [1, 'b', 'items[1].price', 'invalid_field'],
        [2, '', 'items[2]', 'not_an_object'],
      ],
    );
    assert.deepEqual(
      catalog.items.map((r) => r.key),
      ['a', 'c'],
    );
    assert.deepEqual(decodeCatalogItem(catalog.items[0]!.value), { itemId: 'a', available: true, price: 3, currency: 'EUR', categoryId: 'c1', updatedAtMs: NOW });
    assert.equal(decodeCatalogItem(catalog.items[1]!.value).available, false);
    assert.deepEqual(
      events.deadLetters.map((r) => r.key),
      ['b', null],
    );
    const letter = fromBinary(DeadLetterSchema, events.deadLetters[0]!.value);
    assert.equal(letter.stage, 'ingestion');
    assert.equal(letter.source, 'http');
    assert.equal(letter.field, 'items[1].price');
    assert.match(letter.reason, />= 0/);
    assert.equal(letter.originalTopic, 'p.catalog.items.v1');
    assert.equal(letter.apiKeyId, 'key_c');
    assert.deepEqual(JSON.parse(Buffer.from(letter.payload).toString('utf8')), { itemId: 'b', available: true, price: -1 });
    assert.equal(keys.counted, 4, 'the rate limit counts items');
  });

  void it('dead-letters a refused protobuf item as its protobuf bytes', async () => {
    const bad = create(CatalogItemSchema, { itemId: 'x', available: true, currency: 'EUR' });
    const result = await service.put(writer, 'grpc', { kind: 'proto', items: [create(CatalogItemSchema, { itemId: 'ok', available: true }), bad] });
    assert.equal(result.accepted, 1);
    assert.equal(result.rejected[0]?.field, 'items[1].currency');
    const letter = fromBinary(DeadLetterSchema, events.deadLetters[0]!.value);
    assert.equal(letter.source, 'grpc');
    assert.equal(fromBinary(CatalogItemSchema, letter.payload).itemId, 'x');
  });

  void it('passes back-pressure on: Kafka overloaded, Kafka too slow, rate limit', async () => {
    const items = [{ itemId: 'a', available: true }];
    catalog.mode = 'overloaded';
    await assert.rejects(service.put(writer, 'http', { kind: 'json', items }), OverloadedError);
    catalog.mode = 'hang';
    await assert.rejects(service.put(writer, 'http', { kind: 'json', items }), (e: unknown) => e instanceof UnavailableError && /did not acknowledge within 50 ms/.test(e.message));
    keys.limited = true;
    await assert.rejects(service.put(writer, 'http', { kind: 'json', items }), RateLimitedError);
    const pressure = (await metrics.registry.getSingleMetric('clickwise_ingest_backpressure_total')?.get())?.values ?? [];
    assert.deepEqual(pressure.map((v) => [v.labels.kind, v.value]).sort(), [['overloaded', 1], ['unavailable', 1]]);
  });

  void it('the catalog scope is what authorizes an update; ingest keys are refused', async () => {
    const ingestion = new IngestionService(config, keys, new NoDedupe(), events, metrics, () => NOW);
    assert.equal((await ingestion.authorize('cat', 'http', ['catalog'])).id, 'key_c');
    await assert.rejects(ingestion.authorize('ingest', 'http', ['catalog']), (e: unknown) => e instanceof ForbiddenError && /"catalog" scope/.test(e.message));
    await assert.rejects(ingestion.authorize('cat', 'http'), ForbiddenError, 'a catalog key cannot send events');
  });
});

void describe('parseCatalogBody', () => {
  const parse = (body: string, type = 'application/json') => parseCatalogBody(type, Buffer.from(body), 1000);
  void it('reads {"items": [...]}', () => {
    const r = parse('{"items":[{"itemId":"a","available":true}]}');
    assert.ok(r.ok);
    assert.equal(r.items.length, 1);
  });
  const cases: [string, string, string, number, string][] = [
    ['text/plain', '{"items":[]}', 'text/plain', 415, 'unsupported_media_type'],
    ['empty', '', 'application/json', 400, 'empty_body'],
    ['malformed', '{"items":', 'application/json', 400, 'malformed_json'],
    ['an array', '[]', 'application/json', 400, 'invalid_body'],
    ['no items', '{}', 'application/json', 400, 'invalid_body'],
    ['items empty', '{"items":[]}', 'application/json', 400, 'invalid_body'],
    ['extra field', '{"items":[1],"x":1}', 'application/json', 400, 'invalid_body'],
    ['too large', `{"items":["${'x'.repeat(1000)}"]}`, 'application/json', 413, 'too_large'],
  ];
  for (const [name, body, type, status, code] of cases) {
    void it(`refuses ${name} (${status} ${code})`, () => {
      const r = parse(body, type);
      assert.ok(!r.ok);
      assert.deepEqual([r.problem.status, r.problem.code], [status, code]);
    });
  }
  void it('refuses more than 1000 items (413)', () => {
    const r = checkItemCount(Array.from({ length: 1001 }, () => ({})));
    assert.ok(!r.ok);
    assert.deepEqual([r.problem.status, r.problem.code, r.problem.field], [413, 'too_many_items', 'items']);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { CatalogFollower, decodeCatalogItem } from '@clickwise/catalog';
import { CatalogItemSchema, DeadLetterSchema, IngestService } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { ensureKcat, jsonEvent, kcatRead, postEvents, TestScope, type IngestionProcess } from './harness.js';

/** PUTs a body to /v1/catalog/items. */
async function putItems(httpUrl: string, body: unknown, key?: string, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (key) headers['x-api-key'] = key;
  const response = await fetch(`${httpUrl}/v1/catalog/items`, { method: 'PUT', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * The catalogue endpoint through the real service process: HTTP PUT /v1/catalog/items and gRPC
 * PutCatalogItems write good items to catalog.items.v1 keyed by item id (read back with kcat, an
 * independent client, and by a CatalogFollower), bad items of the same request are named and land
 * on clickstream.dlq.v1, and only keys with the `catalog` scope may write.
 */
void describe('ingestion catalogue endpoint', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('ingest-catalog', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let catalogKey: { key: string; id: string };
  let ingestKey: { key: string; id: string };
  let follower: CatalogFollower;
  const producer = scope.kafka.producer();

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    catalogKey = await scope.key('catalog-writer', ['catalog']);
    ingestKey = await scope.key('events-writer', ['ingest']);
    service = await scope.start();
    await producer.connect();
    follower = new CatalogFollower(scope.kafka, { groupPrefix: 'catalog-e2e', stage: 'catalog-e2e', deadLetters: producer });
    await follower.start();
  });

  after(async () => {
    await follower?.stop();
    await producer.disconnect();
    await service?.stop();
    await scope.dispose();
  });

  const catalogRecords = async () => (await kcatRead(kafkaBrokers, scope.kafka.topics.catalogItems.name)).map((r) => ({ key: r.key, item: decodeCatalogItem(r.value) }));
  const deadLetters = async () => (await kcatRead(kafkaBrokers, scope.deadLettersTopic)).map((r) => ({ key: r.key, letter: fromBinary(DeadLetterSchema, r.value) }));

  void test('HTTP: good items land keyed by item id, a bad one is named and dead-lettered, a follower sees the update', async () => {
    const tag = uniqueName('h');
    const answer = await putItems(
      service.httpUrl,
      {
        items: [
          { itemId: `${tag}-1`, available: true, price: 19.9, currency: 'EUR', categoryId: '1483', title: 'Kettle' },
          { itemId: `${tag}-2`, available: true, price: -4 },
          { itemId: `${tag}-3`, available: false, updatedAt: '2026-12-01T10:00:00Z' },
        ],
      },
      catalogKey.key,
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { accepted: 2, rejected: [{ index: 1, itemId: `${tag}-2`, field: 'items[1].price', reason: 'must be >= 0, got -4' }] });

    const records = (await catalogRecords()).filter((r) => r.key?.startsWith(tag));
    assert.deepEqual(records.map((r) => r.key).sort(), [`${tag}-1`, `${tag}-3`], 'only the good items, each keyed by its id');
    const first = records.find((r) => r.key === `${tag}-1`)!.item;
    assert.deepEqual({ ...first, updatedAtMs: undefined }, { itemId: `${tag}-1`, available: true, price: 19.9, currency: 'EUR', categoryId: '1483', title: 'Kettle', updatedAtMs: undefined });
    assert.ok(Math.abs(first.updatedAtMs! - Date.now()) < 60_000, 'updatedAt defaults to arrival');
    assert.equal(records.find((r) => r.key === `${tag}-3`)!.item.updatedAtMs, Date.parse('2026-12-01T10:00:00Z'));

    const letter = (await deadLetters()).find((d) => d.key === `${tag}-2`);
    assert.ok(letter, 'the bad item is on clickstream.dlq.v1 under its item id');
    assert.equal(letter.letter.field, 'items[1].price');
    assert.equal(letter.letter.reasonCode, 'invalid_field');
    assert.equal(letter.letter.source, 'http');
    assert.equal(letter.letter.apiKeyId, catalogKey.id);
    assert.equal(letter.letter.originalTopic, scope.kafka.topics.catalogItems.name);
    assert.deepEqual(JSON.parse(Buffer.from(letter.letter.payload).toString('utf8')), { itemId: `${tag}-2`, available: true, price: -4 });

    await waitFor(() => follower.view.categoryOf(`${tag}-1`) === '1483' && !follower.view.isAvailable(`${tag}-3`), { timeoutMs: 15_000, message: 'the follower sees the items' });
    assert.equal(follower.view.get(`${tag}-2`), undefined, 'the refused item never reached the catalogue');
    assert.equal(follower.view.isAvailable(`${tag}-2`), true);
    // Removal: the same item again with available=false.
    const removed = await putItems(service.httpUrl, { items: [{ itemId: `${tag}-1`, available: false }] }, catalogKey.key);
    assert.equal(removed.status, 200);
    await waitFor(() => !follower.view.isAvailable(`${tag}-1`), { timeoutMs: 15_000, message: 'the removal reaches the follower' });
  });

  void test('HTTP: all items bad is 400 naming the field; a bad body is refused whole and dead-lettered', async () => {
    const tag = uniqueName('b');
    const allBad = await putItems(service.httpUrl, { items: [{ itemId: tag, available: 'yes' }] }, catalogKey.key);
    assert.equal(allBad.status, 400);
    assert.match((allBad.body.error as { message: string }).message, /^items\[0\]\.available: must be true or false/);
    const malformed = await putItems(service.httpUrl, `{"items": [ ${tag}`, catalogKey.key);
    assert.equal(malformed.status, 400);
    assert.equal((malformed.body.error as { code: string }).code, 'malformed_json');
    const tooMany = await putItems(service.httpUrl, { items: Array.from({ length: 1001 }, (_, i) => ({ itemId: `${tag}-${i}`, available: true })) }, catalogKey.key);
    assert.equal(tooMany.status, 413);
    await waitFor(
      async () => {
        const letters = await deadLetters();
        return letters.some((d) => d.key === tag && d.letter.field === 'items[0].available') && letters.some((d) => d.letter.reasonCode === 'malformed_json' && Buffer.from(d.letter.payload).toString().includes(tag));
      },
      { timeoutMs: 15_000, message: 'dead letters of the refused item and body' },
    );
    assert.equal((await catalogRecords()).filter((r) => r.key?.startsWith(tag)).length, 0);
  });

  void test('gRPC PutCatalogItems: good items land, the bad one is named and dead-lettered', async () => {
    const tag = uniqueName('g');
    const client = createClient(IngestService, service.grpcAddress, grpc.credentials.createInsecure());
    try {
      const answer = await client.putCatalogItems(
        { items: [{ itemId: `${tag}-1`, available: true, categoryId: '7' }, { itemId: `${tag}-2`, available: true, currency: 'eur', price: 1 }, { itemId: `${tag}-3`, available: false }] },
        { metadata: { 'x-api-key': catalogKey.key } },
      );
      assert.equal(answer.accepted, 2);
      assert.deepEqual(
        answer.rejected.map((r) => [r.index, r.itemId, r.field]),
        [[1, `${tag}-2`, 'items[1].currency']],
      );
      const allBad = await client.putCatalogItems({ items: [{ available: true }] }, { metadata: { 'x-api-key': catalogKey.key } }).then(
        () => undefined,
        (e: unknown) => e as grpc.ServiceError,
      );
      assert.equal(allBad?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(allBad?.details ?? '', /items\[0\]\.itemId/);
    } finally {
      client.close();
    }
    const records = (await catalogRecords()).filter((r) => r.key?.startsWith(tag));
    assert.deepEqual(records.map((r) => r.key).sort(), [`${tag}-1`, `${tag}-3`]);
    const letter = (await deadLetters()).find((d) => d.key === `${tag}-2`);
    assert.ok(letter);
    assert.equal(letter.letter.source, 'grpc');
    assert.equal(fromBinary(CatalogItemSchema, letter.letter.payload).currency, 'eur');
    await waitFor(() => follower.view.categoryOf(`${tag}-1`) === '7', { timeoutMs: 15_000, message: 'the follower sees the gRPC items' });
  });

  void test('only the catalog scope may write the catalogue, and it may not send events', async () => {
    const tag = uniqueName('a');
    const items = { items: [{ itemId: tag, available: true }] };
    assert.equal((await putItems(service.httpUrl, items)).status, 401, 'no key');
    assert.equal((await putItems(service.httpUrl, items, 'cw_not_a_key')).status, 401, 'unknown key');
    const forbidden = await putItems(service.httpUrl, items, ingestKey.key);
    assert.equal(forbidden.status, 403, 'an ingest key');
    assert.match((forbidden.body.error as { message: string }).message, /lacks the "catalog" scope/);
    const client = createClient(IngestService, service.grpcAddress, grpc.credentials.createInsecure());
    try {
      const denied = await client.putCatalogItems(items, { metadata: { 'x-api-key': ingestKey.key } }).then(
        () => undefined,
        (e: unknown) => e as grpc.ServiceError,
      );
      assert.equal(denied?.code, grpc.status.PERMISSION_DENIED);
    } finally {
      client.close();
    }
    const events = await postEvents(service.httpUrl, { events: [jsonEvent()] }, { key: catalogKey.key });
    assert.equal(events.status, 403, 'a catalog key sends no events');
    assert.equal((await catalogRecords()).filter((r) => r.key === tag).length, 0, 'nothing written for refused callers');
  });

  void test('back-pressure as for events: more than Kafka may buffer is 429 / RESOURCE_EXHAUSTED, small updates still land', async () => {
    // A second process whose producer may hold only 4 KB waiting for Kafka.
    const tight = await scope.start({ KAFKA_MAX_BUFFERED_BYTES: '4096' });
    const tag = uniqueName('p');
    const big = { items: Array.from({ length: 200 }, (_, i) => ({ itemId: `${tag}-${i}`, available: true, title: 'x'.repeat(100) })) };
    const client = createClient(IngestService, tight.grpcAddress, grpc.credentials.createInsecure());
    try {
      const response = await fetch(`${tight.httpUrl}/v1/catalog/items`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-api-key': catalogKey.key },
        body: JSON.stringify(big),
      });
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get('retry-after')) >= 1, 'Retry-After says when to come back');
      const viaGrpc = await client.putCatalogItems(big, { metadata: { 'x-api-key': catalogKey.key } }).then(
        () => undefined,
        (e: unknown) => e as grpc.ServiceError,
      );
      assert.equal(viaGrpc?.code, grpc.status.RESOURCE_EXHAUSTED);
      const small = await putItems(tight.httpUrl, { items: [{ itemId: `${tag}-small`, available: true }] }, catalogKey.key);
      assert.equal(small.status, 200);
    } finally {
      client.close();
      await tight.stop();
    }
    const landed = (await catalogRecords()).filter((r) => r.key?.startsWith(tag)).map((r) => r.key);
    assert.deepEqual(landed, [`${tag}-small`], 'refused updates wrote nothing');
  });
});

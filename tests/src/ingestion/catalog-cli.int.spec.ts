import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testInfra } from '@clickwise/testing';
import { RETAILROCKET, runCli } from '../replay/cli.js';
import { TestScope, type IngestionProcess } from './harness.js';

interface Shown {
  items: { itemId: string; available: boolean; categoryId?: string; price?: number; known?: boolean }[];
}
interface Seeded {
  items: number;
  known: number;
  withCategory: number;
  put?: { accepted: number; rejected: unknown[]; requests: number; seconds: number };
}

/**
 * `./clickwise catalog put|show|seed` against a real ingestion process and Kafka: put from a file
 * and inline, a refused item listed with its field, show reads the latest record back from
 * catalog.items.v1; seed (what `up` runs) publishes the RetailRocket week's items once, sends
 * nothing the second time, and never undoes a removal.
 */
void describe('clickwise catalog (CLI)', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('catalog-cli', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'catalog-cli-'));

  before(async () => {
    await scope.createTopics();
    const key = await scope.key('catalog-cli', ['catalog']);
    service = await scope.start();
    env = { KAFKA_BROKERS: kafkaBrokers.join(','), KAFKA_TOPIC_PREFIX: scope.topicPrefix, CLICKWISE_ENDPOINT: service.httpUrl, CLICKWISE_API_KEY: key.key, CLICKWISE_STATE_DIR: dir };
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  void test('put (file and --item) then show reads the latest records back', async () => {
    const file = join(dir, 'items.jsonl');
    writeFileSync(file, '{"itemId":"mug","available":true,"price":7.5,"currency":"EUR","categoryId":"kitchen"}\n{"itemId":"bad","available":"no"}\n');
    const put = await runCli<{ accepted: number; rejected: { field: string; reason: string }[] }>(['catalog', 'put', file, '--item', '{"itemId":"lamp","available":false}'], env);
    assert.equal(put.code, 1, 'exit 1: one item was refused');
    assert.equal(put.json.accepted, 2);
    assert.deepEqual(
      put.json.rejected.map((r) => r.field),
      ['items[1].available'],
    );
    const shown = await runCli<Shown>(['catalog', 'show', 'mug', 'lamp', 'never-seen'], env);
    assert.equal(shown.code, 3, 'exit 3: an item is not in the catalogue');
    const [mug, lamp, unknown] = shown.json.items;
    assert.deepEqual([mug?.available, mug?.categoryId, mug?.price], [true, 'kitchen', 7.5]);
    assert.equal(lamp?.available, false);
    assert.deepEqual(unknown, { itemId: 'never-seen', known: false, available: true });
  });

  void test('seed publishes the RetailRocket week once, then sends nothing, and keeps a removal', async () => {
    const first = await runCli<Seeded>(['catalog', 'seed', RETAILROCKET], env, { timeoutMs: 300_000 });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json.items, 12_468, 'the week has 12,468 items (../shared/data/README.md)');
    assert.equal(first.json.put?.accepted, 12_468 - first.json.known);
    assert.equal(first.json.withCategory, 12_468, 'every row of the week names a category');
    console.log(`seed: ${first.json.put?.accepted} items in ${first.json.put?.requests} requests, ${first.json.put?.seconds.toFixed(2)} s`);

    const removed = await runCli(['catalog', 'put', '--item', '{"itemId":"285930","available":false}'], env);
    assert.equal(removed.code, 0);
    const again = await runCli<Seeded>(['catalog', 'seed', RETAILROCKET], env, { timeoutMs: 300_000 });
    assert.equal(again.code, 0);
    assert.equal(again.json.put, undefined, 'nothing sent the second time');
    assert.equal(again.json.known, 12_468);
    const shown = await runCli<Shown>(['catalog', 'show', '285930', '357564'], env);
    assert.deepEqual(
      shown.json.items.map((i) => [i.itemId, i.available, i.categoryId]),
      [
        ['285930', false, undefined],
        ['357564', true, '256'],
      ],
    );
    const summary = await runCli<{ items: number; unavailable: number }>(['catalog', 'show'], env);
    assert.equal(summary.json.unavailable, 2, 'lamp and 285930');
    assert.equal(summary.json.items, 12_468 + 2);
  });
});

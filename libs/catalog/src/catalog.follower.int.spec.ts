import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { topics } from '@clickwise/contracts';
import { KafkaPlatform, type KafkaProducer } from '@clickwise/kafka';
import { runScript, testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { toCatalogRecord } from './catalog-record.js';
import { CatalogFollower } from './catalog.follower.js';
import type { CatalogItem } from './catalog-view.js';

const run = promisify(execFile);

/** The topic's configs as the broker reports them, read with Kafka's own ConfigCommand (an independent client). */
async function brokerTopicConfig(brokers: string[], topic: string): Promise<string> {
  const fetched = await runScript('kafka.sh', ['fetch'], {});
  assert.equal(fetched.code, 0, `kafka.sh fetch: ${fetched.stderr}`);
  const cache = process.env.CLICKWISE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'clickwise');
  const { stdout } = await run(
    'java',
    ['-Xmx256m', '-cp', join(cache, 'kafka-4.3.1/libs/*'), 'kafka.admin.ConfigCommand', '--bootstrap-server', brokers.join(','), '--describe', '--entity-type', 'topics', '--entity-name', topic],
    { timeout: 120_000 },
  );
  return stdout;
}

/**
 * CatalogFollower against real Kafka: every replica catches up from the beginning of the
 * compacted catalog.items.v1 (latest record per item wins), then an update written to the topic is
 * visible in each replica's CatalogView and heard by onChange.
 */
void describe('CatalogFollower (real Kafka)', () => {
  const { kafkaBrokers } = testInfra();
  const kafka = KafkaPlatform.create({ brokers: kafkaBrokers, clientId: 'catalog-follower-test', topicPrefix: `${uniqueName('catalog')}.`, logLevel: 'NOTHING' });
  let producer: KafkaProducer;
  const followers: CatalogFollower[] = [];
  const put = (items: CatalogItem[]) => producer.produce(kafka.topics.catalogItems, items.map(toCatalogRecord));

  before(async () => {
    await kafka.admin.ensureTopics([topics.catalogItems, topics.deadLetters]);
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await Promise.all(followers.map((f) => f.stop()));
    await producer.disconnect();
    await kafka.admin.deletePrefixedTopics();
    await kafka.close();
  });

  void it('the broker created catalog.items.v1 compacted', async () => {
    const described = await brokerTopicConfig(kafkaBrokers, kafka.topics.catalogItems.name);
    assert.match(described, /cleanup\.policy=compact/, described);
  });

  void it('replicas catch up from the beginning, then see updates as they are written', async () => {
    await put([
      { itemId: 'a', available: true, categoryId: 'c1', price: 5, currency: 'EUR' },
      { itemId: 'b', available: true, categoryId: 'c2' },
      ...Array.from({ length: 200 }, (_, i) => ({ itemId: `bulk-${i}`, available: i % 2 === 0 })),
      { itemId: 'a', available: false, categoryId: 'c1' },
    ]);
    for (let i = 0; i < 2; i++) followers.push(new CatalogFollower(kafka, { groupPrefix: 'catalog-test', stage: 'catalog-test', deadLetters: producer, catchUpTimeoutMs: 60_000 }));
    let readyBefore = false;
    void followers[0]!.state.ready().then(() => (readyBefore = true));
    const catchUps = await Promise.all(followers.map((f) => f.start()));
    for (const [i, f] of followers.entries()) {
      assert.ok(catchUps[i]!.caughtUp, `replica ${i} caught up`);
      const view = f.view;
      assert.equal(view.caughtUp, true);
      assert.equal(view.size, 202);
      assert.equal(view.isAvailable('a'), false, 'the latest record of a says unavailable');
      assert.equal(view.categoryOf('a'), 'c1');
      assert.equal(view.isAvailable('b'), true);
      assert.equal(view.isAvailable('bulk-1'), false);
      assert.equal(view.isAvailable('never-heard-of'), true, 'unknown items are available');
      assert.equal(view.unavailableCount(), 101);
    }
    await followers[0]!.state.ready();
    assert.ok(readyBefore, 'ready() resolved');
    assert.notEqual(followers[0]!.state, followers[1]!.state);

    const heard: string[] = [];
    followers[1]!.state.onChange((changed) => heard.push(...changed.map((c) => `${c.itemId}:${c.available}`)));
    const written = performance.now();
    await put([{ itemId: 'b', available: false }, { itemId: 'c', available: true, categoryId: 'c3', title: 'New' }]);
    const acked = performance.now();
    await waitFor(() => followers.every((f) => !f.view.isAvailable('b') && f.view.categoryOf('c') === 'c3'), { timeoutMs: 30_000, intervalMs: 5, message: 'both replicas see the update' });
    const visible = performance.now();
    console.log(`catalogue update: acknowledged in ${(acked - written).toFixed(1)} ms, visible in both replicas ${(visible - acked).toFixed(1)} ms after the acknowledgement`);
    assert.deepEqual(heard.sort(), ['b:false', 'c:true']);
    assert.equal(followers[1]!.view.get('c')?.title, 'New');
    assert.equal(followers[1]!.view.categoryOf('b'), undefined, 'the record replaced the whole item');
  });
});

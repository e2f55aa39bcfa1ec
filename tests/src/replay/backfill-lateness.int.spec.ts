import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testInfra } from '@clickwise/testing';
import { offlineOverTopic } from '../features/harness.js';
import { TestScope, type IngestionProcess } from '../ingestion/harness.js';
import { RETAILROCKET, runCli } from './cli.js';
import { CpuBurner, DelayingProxy } from './load.js';

interface Summary {
  replayed: number;
  accepted: number;
  duplicates: number;
  failed: number;
  watermarkWaits: number;
  elapsedMs: number;
}

/**
 * A backfill through the public API loses nothing to lateness at the default concurrency (8), also
 * when an early request is slow and the machine is busy. The RetailRocket week is sparse (a batch
 * of 500 spans about two hours), so without the backfill watermark a slow second request lands
 * after six later ones and its events are hours behind their partitions' stream clocks.
 *
 * Lateness is judged by the offline executor over the topic in partition/offset order: the same
 * StreamClock, fed in the same order, as the features service (the parity tests hold them equal).
 */
void describe('replay: no event lost to lateness at the default concurrency', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('backfill-lateness', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let proxy: DelayingProxy;
  let backfill: string;
  let burner: CpuBurner | undefined;

  before(async () => {
    await scope.createTopics();
    backfill = (await scope.key('replay', ['backfill'])).key;
    service = await scope.start();
    // The second request is held 3 s before it reaches ingestion.
    proxy = await DelayingProxy.start(service.httpUrl, { path: '/v1/events', delay: [2], delayMs: 3000 });
  });

  after(async () => {
    burner?.stop();
    await proxy?.stop();
    await service?.stop();
    await scope.dispose();
  });

  void test('the whole week, a slow early request, two CPU burners: every event accepted, none too late', async () => {
    burner = new CpuBurner(2, 120_000);
    const { code, json } = await runCli<Summary>(
      ['replay', RETAILROCKET, '--format', 'retailrocket', '--endpoint', proxy.url, '--key', backfill],
      {},
      { timeoutMs: 240_000 },
    );
    burner.stop();
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(proxy.delayed, 1, 'the slow request happened');
    assert.deepEqual([json.replayed, json.accepted, json.duplicates, json.failed], [38_741, 38_741, 0, 0]);
    console.log(`replay of the week under load with a slow early request: ${json.elapsedMs} ms, ${json.watermarkWaits} watermark waits`);

    const { events, tooLate } = await offlineOverTopic(scope.kafka);
    assert.equal(events.length, 38_741, 'each event once on the topic');
    assert.equal(tooLate.size, 0, `${tooLate.size} events would be dead-lettered as too late`);
  });
});

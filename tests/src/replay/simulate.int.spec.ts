import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EVENT_TYPES, EventSchema, EventSource, EventType, eventTypeName } from '@clickwise/contracts';
import { testInfra, waitFor } from '@clickwise/testing';
import { ensureKcat, kcatRead, TestScope, type IngestionProcess } from '../ingestion/harness.js';
import { runCli } from './cli.js';

interface Summary {
  seed: string;
  generated: number;
  byType: Record<string, number>;
  sent: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  failed: number;
  rejections: Record<string, number>;
}

const COUNT = 4000;

/** `clickwise simulate` (child process) → the real ingestion service → Kafka, every event type. */
void describe('simulate → ingestion → Kafka', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('simulate', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let key: string;

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    key = (await scope.key('simulator', ['ingest'])).key;
    service = await scope.start();
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void test('a seeded run with an ingest key: all accepted, every event type on Kafka, decoded', async () => {
    const args = ['simulate', '--seed', '20260101', '--count', String(COUNT), '--rate', '4000', '--sessions', '200', '--endpoint', service.httpUrl, '--key', key];
    const { code, json } = await runCli<Summary>(args);
    assert.equal(code, 0, JSON.stringify(json));
    assert.deepEqual(
      { generated: json.generated, sent: json.sent, accepted: json.accepted, rejected: json.rejected, failed: json.failed },
      { generated: COUNT, sent: COUNT, accepted: COUNT, rejected: 0, failed: 0 },
      JSON.stringify(json.rejections),
    );

    const records = await waitFor(
      async () => {
        const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
        return read.length >= COUNT ? read : undefined;
      },
      { timeoutMs: 30_000, message: `${COUNT} records` },
    );
    assert.equal(records.length, COUNT);
    const events = records.map((r) => fromBinary(EventSchema, r.value));
    const types = new Set(events.map((e) => e.type));
    assert.deepEqual([...types].sort((a, b) => a - b), [...EVENT_TYPES], 'every event type is on Kafka');
    const byType: Record<string, number> = {};
    for (const e of events) byType[eventTypeName(e.type)] = (byType[eventTypeName(e.type)] ?? 0) + 1;
    assert.deepEqual(byType, json.byType, 'Kafka holds what the simulator said it generated');
    assert.ok(events.every((e) => e.source === EventSource.SIMULATOR));
    const review = events.find((e) => e.type === EventType.REVIEW);
    assert.ok(review && review.reviewText.length > 0 && (review.reviewRating ?? 0) >= 1);
    assert.ok(events.filter((e) => e.type === EventType.SEARCH).every((e) => e.searchQuery.length > 0));

    // Same seed again: same ids, so ingestion drops them all as duplicates.
    const again = await runCli<Summary>([...args.slice(0, 3), '--count', '500', ...args.slice(5)]);
    assert.deepEqual([again.json.accepted, again.json.duplicates], [0, 500]);
  });
});

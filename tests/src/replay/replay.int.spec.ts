import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { ExportReader, replayEventId, retailRocketMapping } from '@clickwise/clickstream-files';
import { EventSchema, EventSource, eventTypeFromName, type Event } from '@clickwise/contracts';
import { testInfra, waitFor } from '@clickwise/testing';
import { ensureKcat, kcatRead, TestScope, type IngestionProcess } from '../ingestion/harness.js';
import { RETAILROCKET, runCli } from './cli.js';

interface Summary {
  rows: number;
  replayed: number;
  sent: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  failed: number;
  eventsPerSecond: number;
  rejections: Record<string, number>;
  error?: string;
}

const SLICE = 2000;

/**
 * `clickwise replay` (the CLI as a child process) streams the first 2,000 RetailRocket events, in
 * time order, through the real ingestion service; kcat reads them back from Kafka. Ids are
 * deterministic, so a rerun is all duplicates and a new --run-id is accepted again.
 */
void describe('replay: RetailRocket slice → ingestion → Kafka', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('replay', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let backfill: string;
  let ingestOnly: string;

  // What the slice must be: the first 2,000 rows after sorting by time.
  const reader = new ExportReader({ delimiter: '\t', mapping: retailRocketMapping });
  reader.push(readFileSync(RETAILROCKET, 'utf8'));
  const slice = reader.finish().rows.slice(0, SLICE);

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    backfill = (await scope.key('replay', ['backfill'])).key;
    ingestOnly = (await scope.key('web', ['ingest'])).key;
    service = await scope.start();
  });

  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  const replay = (...extra: string[]) =>
    runCli<Summary>(['replay', RETAILROCKET, '--format', 'retailrocket', '--limit', String(SLICE), '--endpoint', service.httpUrl, ...extra]);

  const topic = async (expected: number): Promise<{ key: string | null; event: Event }[]> => {
    const records = await waitFor(
      async () => {
        const read = await kcatRead(kafkaBrokers, scope.eventsTopic);
        return read.length >= expected ? read : undefined;
      },
      { timeoutMs: 30_000, message: `${expected} records on ${scope.eventsTopic}` },
    );
    return records.map((r) => ({ key: r.key, event: fromBinary(EventSchema, r.value) }));
  };

  void test('the slice lands on Kafka once each, with deterministic ids, shifted times and mapped types', async () => {
    const startedAt = Date.now();
    const { code, json } = await replay('--key', backfill);
    assert.equal(code, 0, JSON.stringify(json));
    assert.equal(json.rows, 38_741);
    assert.equal(json.replayed, SLICE);
    assert.deepEqual(
      { sent: json.sent, accepted: json.accepted, duplicates: json.duplicates, rejected: json.rejected, failed: json.failed },
      { sent: SLICE, accepted: SLICE, duplicates: 0, rejected: 0, failed: 0 },
    );
    console.log(`replay of ${SLICE} events: ${json.eventsPerSecond} events/s`);

    const records = await topic(SLICE);
    assert.equal(records.length, SLICE);
    const byId = new Map(records.map((r) => [r.event.eventId, r]));
    assert.equal(byId.size, SLICE, 'each id once');
    const last = slice[SLICE - 1]?.timeMs as number;
    const shift = Number(byId.get(replayEventId('events.tsv', slice[SLICE - 1]?.row as number))?.event.eventTimeMs) - last;
    assert.ok(shift >= startedAt - last && shift <= Date.now() - last, 'the last event is at the start of the replay');
    for (const row of slice) {
      const found = byId.get(replayEventId('events.tsv', row.row));
      assert.ok(found, `row ${row.row} is on Kafka under its deterministic id`);
      const e = found.event;
      assert.equal(Number(e.eventTimeMs) - row.timeMs, shift, 'gaps kept');
      assert.equal(e.type, eventTypeFromName(row.type));
      assert.equal(e.userId, row.userId);
      assert.equal(e.sessionId, row.sessionId);
      assert.equal(e.itemId, row.itemId);
      assert.equal(e.categoryId, row.categoryId);
      assert.equal(e.source, EventSource.REPLAY);
      assert.equal(found.key, row.userId, 'keyed by shopper');
    }
  });

  void test('a rerun is deduplicated; a new --run-id is accepted again', async () => {
    const rerun = await replay('--key', backfill);
    assert.equal(rerun.code, 0);
    assert.deepEqual([rerun.json.accepted, rerun.json.duplicates, rerun.json.failed], [0, SLICE, 0]);

    const salted = await replay('--key', backfill, '--run-id', 'second');
    assert.equal(salted.code, 0);
    assert.deepEqual([salted.json.accepted, salted.json.duplicates, salted.json.failed], [SLICE, 0, 0]);

    const records = await topic(2 * SLICE);
    assert.equal(records.length, 2 * SLICE, 'the rerun added nothing; the new run added the slice once');
    const ids = new Set(records.map((r) => r.event.eventId));
    for (const row of slice) assert.ok(ids.has(replayEventId('events.tsv', row.row, 'second')));
  });

  void test('original 2015 times need the backfill scope: an ingest-only key gets every event rejected', async () => {
    const { code, json } = await runCli<Summary>([
      'replay',
      RETAILROCKET,
      '--format',
      'retailrocket',
      '--limit',
      '50',
      '--keep-times',
      '--run-id',
      'ingest-only',
      '--endpoint',
      service.httpUrl,
      '--key',
      ingestOnly,
    ]);
    assert.equal(code, 0, 'delivered (and refused per event)');
    assert.deepEqual([json.accepted, json.rejected], [0, 50]);
    const reasons = Object.keys(json.rejections).join(' ');
    assert.match(reasons, /eventTime/);
  });

  void test('--speed paces at N× real time', async () => {
    // The first 40 events span `span` seconds of 2015; at speed `speed` they take span/speed seconds.
    const first = slice[0]?.timeMs as number;
    const span = (slice[39]?.timeMs as number) - first;
    const speed = Math.max(1, Math.round(span / 1500));
    const started = Date.now();
    const { code, json } = await runCli<Summary>([
      'replay',
      RETAILROCKET,
      '--format',
      'retailrocket',
      '--limit',
      '40',
      '--speed',
      String(speed),
      '--run-id',
      'paced',
      '--endpoint',
      service.httpUrl,
      '--key',
      ingestOnly,
    ]);
    const took = Date.now() - started;
    assert.equal(code, 0);
    assert.equal(json.accepted, 40, 'paced events carry their send time, so an ingest key takes them');
    assert.ok(took >= span / speed - 50, `took ${took} ms for ${span / speed} ms of paced replay`);
  });
});

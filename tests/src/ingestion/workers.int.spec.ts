import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { EventType, IngestService } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { childrenOf, cpuTicks } from '../support/proc.js';
import { jsonEvent, TestScope, type IngestionProcess } from './harness.js';

/** POSTs a batch over a connection of its own (no keep-alive), so the primary hands each to the next worker. */
function postFresh(httpUrl: string, key: string, events: unknown[]): Promise<{ status: number; body: { accepted: number; duplicates: number } }> {
  const payload = JSON.stringify({ events });
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/v1/events', httpUrl),
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-api-key': key, connection: 'close', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { accepted: number; duplicates: number } }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * INGESTION_WORKERS=2 (ADR 0026): two node:cluster workers behind one pair of ports. Both serve,
 * the dedupe claims hold across them, /metrics counts what both accepted, gRPC answers, SIGTERM
 * drains both (exit 0, every accepted event on Kafka), and a worker that dies stops the service.
 */
void describe('ingestion as two worker processes', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('ingest-workers', kafkaBrokers, redisUrl);
  let service: IngestionProcess | undefined;
  /** Every service a test started, stopped in `after` whatever the test did. */
  const started: IngestionProcess[] = [];
  let key: string;

  before(async () => {
    await scope.createTopics();
    key = (await scope.key('workers', ['ingest'])).key;
  });

  /** Starts the service with INGESTION_WORKERS=2; the pids of its two workers. */
  async function startTwoWorkers(): Promise<number[]> {
    const one = await scope.start({ INGESTION_WORKERS: '2' });
    started.push(one);
    service = one;
    return waitFor(() => {
      const found = childrenOf(one.child.pid!);
      return found.length === 2 ? found : undefined;
    }, { timeoutMs: 10_000, message: 'two worker processes' });
  }

  after(async () => {
    for (const one of started) await one.stop();
    await scope.kafka.admin.deletePrefixedTopics();
    await scope.dispose();
  });

  void test('both workers serve, dedupe holds across them, /metrics sums them, SIGTERM drains both', async () => {
    const workers = await startTwoWorkers();
    const running = service!;
    const ticksBefore = workers.map(cpuTicks);

    let accepted = 0;
    for (let r = 0; r < 24; r++) {
      const answer = await postFresh(running.httpUrl, key, Array.from({ length: 200 }, () => jsonEvent()));
      assert.equal(answer.status, 200);
      accepted += answer.body.accepted;
    }
    assert.equal(accepted, 24 * 200);
    const ticksAfter = workers.map(cpuTicks);
    for (let w = 0; w < 2; w++) assert.ok(ticksAfter[w]! > ticksBefore[w]!, `worker ${w} (pid ${workers[w]}) served requests: ${ticksBefore[w]} → ${ticksAfter[w]} ticks`);

    // Consecutive connections go to different workers (round-robin): the same ids twice in a row,
    // and again, are written once.
    const repeated = Array.from({ length: 50 }, () => jsonEvent());
    const first = await postFresh(running.httpUrl, key, repeated);
    const second = await postFresh(running.httpUrl, key, repeated);
    const third = await postFresh(running.httpUrl, key, repeated);
    assert.deepEqual([first.body.accepted, second.body.accepted, third.body.accepted], [50, 0, 0]);
    assert.deepEqual([second.body.duplicates, third.body.duplicates], [50, 50]);
    accepted += 50;

    const client = createClient(IngestService, running.grpcAddress);
    try {
      const events = Array.from({ length: 10 }, (_, i) => ({
        eventId: uniqueName(`w-grpc-${i}`),
        type: EventType.PRODUCT_VIEW,
        userId: `u-${i}`,
        sessionId: 'w-session',
        itemId: `item-${i}`,
        eventTimeMs: BigInt(Date.now() - 1000),
      }));
      const answer = await client.ingestBatch({ events }, { metadata: { 'x-api-key': key }, timeoutMs: 20_000 });
      assert.equal(answer.accepted, 10);
    } finally {
      client.close();
    }

    // Every scrape, whichever worker answers it, counts the events both accepted.
    for (let s = 0; s < 4; s++) {
      const text = await (await fetch(`${running.httpUrl}/metrics`, { headers: { connection: 'close' } })).text();
      const http = /^clickwise_ingest_events_accepted_total\{[^}]*route="http"[^}]*\} (\d+)/m.exec(text);
      const grpc = /^clickwise_ingest_events_accepted_total\{[^}]*route="grpc"[^}]*\} (\d+)/m.exec(text);
      assert.equal(Number(http?.[1]), accepted, `scrape ${s}: HTTP accepted over both workers`);
      assert.equal(Number(grpc?.[1]), 10, `scrape ${s}: gRPC accepted`);
    }
    const ready = await fetch(`${running.httpUrl}/health/ready`, { headers: { connection: 'close' } });
    assert.equal(ready.status, 200);

    assert.equal(await running.stop(), 0, `the primary exits 0 once both workers drained:\n${running.output().slice(-2000)}`);
    service = undefined;
    for (const w of workers) assert.throws(() => readFileSync(`/proc/${w}/stat`), `worker ${w} is gone`);
    assert.equal(await scope.kafka.admin.recordCount(scope.kafka.topics.events), accepted + 10, 'every accepted event is on Kafka, once');
  });

  void test('a worker that dies stops the whole service (exit 1), so its orchestrator restarts it', async () => {
    const workers = await startTwoWorkers();
    process.kill(workers[0]!, 'SIGKILL');
    const code = await service!.exited;
    service = undefined;
    assert.equal(code, 1);
    for (const w of workers) assert.throws(() => readFileSync(`/proc/${w}/stat`), `worker ${w} is gone`);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { EventSchema } from '@clickwise/contracts';
import { LocalKafka, testInfra, waitFor } from '@clickwise/testing';
import { ensureKcat, jsonEvent, kcatRead, postEvents, TestScope, type IngestionProcess } from './harness.js';

/**
 * Kafka stops while clients post: they get 429/503 with Retry-After (never a hang or a crash),
 * memory stays bounded, readiness reports Kafka down, and when the broker returns ingestion
 * recovers by itself. Every event that was acknowledged (200) is on Kafka afterwards. The test
 * runs its own broker, since it stops it.
 */
void describe('ingestion while Kafka is down', () => {
  const { redisUrl } = testInfra();
  let kafka: LocalKafka;
  let scope: TestScope;
  let service: IngestionProcess;
  let key: string;

  before(async () => {
    const [own] = await Promise.all([LocalKafka.startOwn(), ensureKcat()]);
    kafka = own;
    scope = new TestScope('ingest-outage', kafka.brokers, redisUrl);
    await scope.createTopics();
    key = (await scope.key('outage', ['ingest'])).key;
    // A small producer buffer, so that "Kafka is not keeping up" (429) shows as well as "down" (503).
    service = await scope.start({ KAFKA_MAX_BUFFERED_BYTES: String(96 * 1024), KAFKA_ACK_TIMEOUT_MS: '3000' });
  });

  after(async () => {
    await service?.stop();
    await kafka?.dispose();
    await scope?.dispose();
  });

  void test('back-pressure while Kafka is down, no acknowledged event lost, recovery when it returns', async () => {
    const acknowledged = new Set<string>();
    const statuses = new Map<number | string, number>();
    const retryAfter = new Set<string>();
    let stopping = false;
    let aborted = false;
    const count = (s: number | string) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

    /** One client: sends a batch until it is acknowledged (same ids on every retry), then the next. */
    const client = async () => {
      while (!stopping && !aborted) {
        const events = Array.from({ length: 100 }, () => jsonEvent());
        for (let attempt = 0; !aborted; attempt++) {
          let status: number | string;
          let wait = 200;
          try {
            const r = await postEvents(service.httpUrl, { events }, { key, timeoutMs: 60_000 });
            status = r.status;
            if (r.status === 200) {
              for (const e of events) acknowledged.add(e.eventId);
              count(200);
              break;
            }
            assert.ok(r.status === 429 || r.status === 503, `back-pressure is 429 or 503, got ${r.status}: ${JSON.stringify(r.body)}`);
            const after = r.headers.get('retry-after');
            assert.ok(after && Number(after) >= 1, 'Retry-After is set');
            retryAfter.add(after);
            wait = Math.min(1000, Number(after) * 1000);
          } catch (error) {
            if (error instanceof assert.AssertionError) throw error;
            status = 'network error';
          }
          count(status);
          if (stopping && attempt > 120) throw new Error('a batch was never acknowledged after Kafka came back');
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    };

    const clients = Array.from({ length: 6 }, () => client());
    try {
    const failed = Promise.race(clients.map((c) => c.then(() => new Promise<never>(() => undefined))));
    const watch = <T>(p: Promise<T>) => Promise.race([p, failed]);

    await watch(waitFor(() => acknowledged.size >= 3000, { timeoutMs: 60_000, message: 'traffic before the outage' }));
    await kafka.stop();
    const refusedBefore = (statuses.get(429) ?? 0) + (statuses.get(503) ?? 0);
    await watch(waitFor(() => (statuses.get(503) ?? 0) >= 3, { timeoutMs: 60_000, message: '503s while Kafka is down' }));
    const ready = await waitFor(
      async () => {
        const r = await fetch(`${service.httpUrl}/health/ready`);
        const body = (await r.json()) as { kafka: boolean };
        return r.status === 503 && !body.kafka ? body : undefined;
      },
      { timeoutMs: 30_000, message: 'readiness to report Kafka down' },
    );
    assert.equal(ready.kafka, false);
    assert.equal((await fetch(`${service.httpUrl}/health/live`)).status, 200, 'alive while Kafka is down');
    const rss = Number(/process_resident_memory_bytes\{[^}]*\} (\d+)/.exec(await (await fetch(`${service.httpUrl}/metrics`)).text())?.[1]);
    assert.ok(rss > 0 && rss < 1024 * 1024 * 1024, `memory stays bounded while Kafka is down (RSS ${Math.round(rss / 1e6)} MB)`);
    const ackedDuringOutage = acknowledged.size;

    await kafka.start();
    await watch(
      waitFor(
        async () => (await fetch(`${service.httpUrl}/health/ready`)).status === 200,
        { timeoutMs: 60_000, message: 'ready again once Kafka is back' },
      ),
    );
    await watch(waitFor(() => acknowledged.size >= ackedDuringOutage + 3000, { timeoutMs: 90_000, message: 'ingestion to recover by itself' }));
    stopping = true;
    await watch(Promise.all(clients));

    const refused = (statuses.get(429) ?? 0) + (statuses.get(503) ?? 0) - refusedBefore;
    assert.ok(refused > 0, 'clients were told to back off');
    assert.equal(service.child.exitCode, null, 'the service never crashed');

    const read = await kcatRead(kafka.brokers, scope.eventsTopic);
    const onKafka = new Set(read.map((r) => fromBinary(EventSchema, r.value).eventId));
    const lost = [...acknowledged].filter((id) => !onKafka.has(id));
    assert.equal(lost.length, 0, `${lost.length} of ${acknowledged.size} acknowledged events are missing from Kafka`);
    const report = { acknowledged: acknowledged.size, onKafka: read.length, duplicatesOnKafka: read.length - onKafka.size, statuses: Object.fromEntries(statuses), retryAfter: [...retryAfter] };
    process.stdout.write(`# outage: ${JSON.stringify(report)}\n`);
    } finally {
      aborted = true;
      await Promise.allSettled(clients);
    }
  });
});

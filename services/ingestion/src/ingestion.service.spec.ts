import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { create, fromBinary } from '@bufbuild/protobuf';
import { RateLimitedError, type ApiKeyRecord } from '@clickwise/api-keys';
import { DeadLetterSchema, EventSchema, EventSource, EventType } from '@clickwise/contracts';
import { ForbiddenError, OverloadedError, UnauthenticatedError, UnavailableError } from '@clickwise/errors';
import type { OutgoingRecord } from '@clickwise/kafka';
import { createMetricsRegistry } from '@clickwise/telemetry';
import { IngestionConfig } from './config.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { DedupeStore, EventLog, KeyAuthority, type ClaimStatus } from './ingestion.ports.js';
import { IngestionService } from './ingestion.service.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

const config = IngestionConfig.load({
  KAFKA_BROKERS: '127.0.0.1:9092',
  REDIS_URL: 'redis://127.0.0.1:6379',
  INGEST_MAX_EVENT_BYTES: '2048',
  DLQ_MAX_PAYLOAD_BYTES: '100',
  INGEST_MAX_INFLIGHT_BYTES: '1000',
});

const key = (scopes: ApiKeyRecord['scopes'], id = 'key_1'): ApiKeyRecord => ({ id, name: id, scopes, ratePerSecond: 0, createdAtMs: 0 });

class FakeKeys extends KeyAuthority {
  readonly keys = new Map<string, ApiKeyRecord>([
    ['good', key(['ingest'])],
    ['reader', key(['read'], 'key_r')],
  ]);
  limited = false;
  authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    if (!secret) return Promise.reject(new UnauthenticatedError('an API key is required'));
    if (secret === 'revoked') return Promise.reject(new UnauthenticatedError('API key key_x was revoked'));
    const record = this.keys.get(secret);
    return record ? Promise.resolve(record) : Promise.reject(new UnauthenticatedError('unknown API key'));
  }
  consumeRate(): Promise<void> {
    return this.limited ? Promise.reject(new RateLimitedError('limited', 300)) : Promise.resolve();
  }
}

/** The same semantics as the Redis scripts, in a Map. */
class FakeDedupe extends DedupeStore {
  readonly seen = new Map<string, string>();
  claim(ids: readonly string[], token: string): Promise<ClaimStatus[]> {
    return Promise.resolve(
      ids.map((id) => {
        const old = this.seen.get(id);
        if (old === undefined) {
          this.seen.set(id, token);
          return 'new';
        }
        return old === '1' ? 'duplicate' : 'in_flight';
      }),
    );
  }
  commit(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.seen.set(id, '1');
    return Promise.resolve();
  }
  release(ids: readonly string[], token: string): Promise<void> {
    for (const id of ids) if (this.seen.get(id) === token) this.seen.delete(id);
    return Promise.resolve();
  }
}

class FakeLog extends EventLog {
  events: OutgoingRecord[] = [];
  deadLetters: OutgoingRecord[] = [];
  fail: Error | undefined;
  writeEvents(records: OutgoingRecord[]): Promise<void> {
    if (this.fail && records.length > 0) return Promise.reject(this.fail);
    this.events.push(...records);
    return Promise.resolve();
  }
  writeDeadLetters(records: OutgoingRecord[]): Promise<void> {
    this.deadLetters.push(...records);
    return Promise.resolve();
  }
}

const ev = (id: string, extra: Record<string, unknown> = {}) => ({
  eventId: id,
  type: 'add_to_cart',
  userId: 'u-1',
  sessionId: 's-1',
  itemId: 'i-1',
  quantity: 1,
  eventTime: NOW - 10,
  ...extra,
});

void describe('IngestionService', () => {
  let keys: FakeKeys;
  let dedupe: FakeDedupe;
  let log: FakeLog;
  let metrics: IngestionMetrics;
  let service: IngestionService;
  const good = key(['ingest']);

  beforeEach(() => {
    keys = new FakeKeys();
    dedupe = new FakeDedupe();
    log = new FakeLog();
    metrics = new IngestionMetrics(createMetricsRegistry('ingestion-spec', { processMetrics: false }));
    service = new IngestionService(config, keys, dedupe, log, metrics, () => NOW);
  });

  const metric = async (name: string) => (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];

  void it('writes accepted events keyed by shopper, stamped with arrival, source and key id', async () => {
    const result = await service.ingest(good, 'http', { kind: 'json', events: [ev('a'), ev('b', { userId: undefined, anonymousId: 'anon-7' })], single: false });
    assert.deepEqual(result, { accepted: 2, duplicates: 0, rejected: [], inFlight: [] });
    assert.deepEqual(
      log.events.map((r) => r.key),
      ['u-1', 'anon-7'],
    );
    const first = fromBinary(EventSchema, log.events[0]!.value);
    assert.equal(first.eventId, 'a');
    assert.equal(first.type, EventType.ADD_TO_CART);
    assert.equal(first.ingestedAtMs, BigInt(NOW));
    assert.equal(first.apiKeyId, 'key_1');
    assert.equal(first.source, EventSource.HTTP);
    assert.equal(log.deadLetters.length, 0);
    assert.deepEqual([...dedupe.seen.values()], ['1', '1'], 'ids committed after the write');
  });

  void it('accepts the good events of a batch and reports and dead-letters the rest', async () => {
    const result = await service.ingest(good, 'http', { kind: 'json', events: [ev('ok'), ev('bad', { price: -5 }), 'junk'], single: false });
    assert.equal(result.accepted, 1);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.eventId, r.field]),
      [
        [1, 'bad', 'events[1].price'],
        [2, '', 'events[2]'],
      ],
    );
    assert.equal(log.deadLetters.length, 2);
    const letter = fromBinary(DeadLetterSchema, log.deadLetters[0]!.value);
    assert.equal(log.deadLetters[0]!.key, 'u-1');
    assert.equal(letter.stage, 'ingestion');
    assert.equal(letter.source, 'http');
    assert.equal(letter.reasonCode, 'invalid_field');
    assert.equal(letter.field, 'events[1].price');
    assert.match(letter.reason, />= 0/);
    assert.equal(letter.eventId, 'bad');
    assert.equal(letter.apiKeyId, 'key_1');
    assert.ok(letter.truncated, 'payload cut to DLQ_MAX_PAYLOAD_BYTES');
    assert.equal(letter.payload.length, 100);
    assert.ok(letter.originalSize > 100);
    const rejected = await metric('clickwise_ingest_events_rejected_total');
    assert.deepEqual(rejected.map((v) => [v.labels.reason, v.value]).sort(), [
      ['invalid_field', 1],
      ['not_an_object', 1],
    ]);
  });

  void it('drops repeats inside a batch and ids written before, counting them', async () => {
    await service.ingest(good, 'http', { kind: 'json', events: [ev('x')], single: true });
    const result = await service.ingest(good, 'http', { kind: 'json', events: [ev('x'), ev('y'), ev('y')], single: false });
    assert.deepEqual(result, { accepted: 1, duplicates: 2, rejected: [], inFlight: [] });
    assert.deepEqual(
      log.events.map((r) => fromBinary(EventSchema, r.value).eventId),
      ['x', 'y'],
    );
    assert.equal((await metric('clickwise_ingest_events_duplicate_total'))[0]?.value, 2);
  });

  void it('does not mark ids as seen when Kafka fails, so the retry is accepted, not dropped', async () => {
    log.fail = new UnavailableError('Kafka did not acknowledge the write', 1000);
    await assert.rejects(service.ingest(good, 'http', { kind: 'json', events: [ev('r1'), ev('r2')], single: false }), UnavailableError);
    assert.equal(dedupe.seen.size, 0, 'claims released');
    log.fail = undefined;
    const retry = await service.ingest(good, 'http', { kind: 'json', events: [ev('r1'), ev('r2')], single: false });
    assert.deepEqual(retry, { accepted: 2, duplicates: 0, rejected: [], inFlight: [] });
    const pressure = await metric('clickwise_ingest_backpressure_total');
    assert.deepEqual(pressure.map((v) => [v.labels.kind, v.value]), [['unavailable', 1]]);
  });

  void it('answers 503 when Kafka is slower than the ack timeout, keeping the claims until the write settles', async () => {
    const slowConfig = IngestionConfig.load({ KAFKA_BROKERS: '127.0.0.1:9092', REDIS_URL: 'redis://127.0.0.1:6379', KAFKA_ACK_TIMEOUT_MS: '30' });
    let finish: (() => void) | undefined;
    class SlowLog extends FakeLog {
      override writeEvents(records: OutgoingRecord[]): Promise<void> {
        return new Promise((resolve) => {
          finish = () => {
            this.events.push(...records);
            resolve();
          };
        });
      }
    }
    const slowLog = new SlowLog();
    const slow = new IngestionService(slowConfig, keys, dedupe, slowLog, metrics, () => NOW);
    await assert.rejects(slow.ingest(good, 'http', { kind: 'json', events: [ev('late')], single: true }), /did not acknowledge within 30 ms/);
    const retry = await slow.ingest(good, 'http', { kind: 'json', events: [ev('late')], single: true });
    assert.deepEqual(retry.inFlight, ['late'], 'a retry while the first write is pending waits, it is not dropped');
    finish?.();
    await new Promise((r) => setImmediate(r));
    assert.equal(dedupe.seen.get('late'), '1', 'the late write, once acknowledged, marks the id as seen');
    const after = await slow.ingest(good, 'http', { kind: 'json', events: [ev('late')], single: true });
    assert.equal(after.duplicates, 1);
    assert.equal(slowLog.events.length, 1, 'written once');
  });

  void it('passes producer back-pressure through as OverloadedError', async () => {
    log.fail = new OverloadedError('buffer full', 200);
    await assert.rejects(service.ingest(good, 'grpc', { kind: 'json', events: [ev('o1')], single: true }), OverloadedError);
    assert.equal(dedupe.seen.size, 0);
  });

  void it('reports ids another request is still writing as in flight (retry), not as duplicates', async () => {
    await dedupe.claim(['busy'], 'other-request');
    const result = await service.ingest(good, 'http', { kind: 'json', events: [ev('busy'), ev('free')], single: false });
    assert.deepEqual(result.inFlight, ['busy']);
    assert.equal(result.accepted, 1);
    assert.equal(result.duplicates, 0);
  });

  void it('refuses events whose encoding is over the per-event limit', async () => {
    const result = await service.ingest(good, 'http', { kind: 'json', events: [ev('big', { context: { userAgent: 'u'.repeat(2000), page: 'p'.repeat(200) } })], single: true });
    assert.equal(result.accepted, 0);
    assert.equal(result.rejected[0]?.code, 'too_large');
    assert.equal(result.rejected[0]?.field, 'event');
    assert.match(result.rejected[0]?.reason ?? '', /at most 2048/);
    assert.equal(log.deadLetters.length, 1);
  });

  void it('validates protobuf events with stream-wide indexes', async () => {
    const events = [
      create(EventSchema, { eventId: 'p1', type: EventType.PAGE_VIEW, userId: 'u', sessionId: 's', eventTimeMs: BigInt(NOW) }),
      create(EventSchema, { eventId: 'p2', type: EventType.PAGE_VIEW, userId: 'u', eventTimeMs: BigInt(NOW) }),
    ];
    const result = await service.ingest(good, 'grpc', { kind: 'proto', events, indexOffset: 10 });
    assert.equal(result.accepted, 1);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.field]),
      [[11, 'events[11].sessionId']],
    );
    assert.equal(fromBinary(EventSchema, log.events[0]!.value).source, EventSource.GRPC);
    assert.equal(fromBinary(DeadLetterSchema, log.deadLetters[0]!.value).source, 'grpc');
  });

  void it('authorizes: counts missing, unknown and revoked keys, and keys without an ingest scope', async () => {
    await assert.rejects(service.authorize(undefined, 'http'), UnauthenticatedError);
    await assert.rejects(service.authorize('nope', 'http'), UnauthenticatedError);
    await assert.rejects(service.authorize('revoked', 'grpc'), UnauthenticatedError);
    await assert.rejects(service.authorize('reader', 'http'), ForbiddenError);
    assert.equal((await service.authorize('good', 'http')).id, 'key_1');
    const unauth = await metric('clickwise_ingest_unauthenticated_total');
    assert.deepEqual(unauth.map((v) => `${v.labels.route}/${v.labels.reason}=${v.value}`).sort(), ['grpc/revoked=1', 'http/missing=1', 'http/unknown=1']);
    assert.equal((await metric('clickwise_ingest_forbidden_total'))[0]?.value, 1);
    assert.equal(log.events.length + log.deadLetters.length, 0, 'nothing written for refused callers');
  });

  void it('refuses a rate-limited key before writing anything', async () => {
    keys.limited = true;
    await assert.rejects(service.ingest(good, 'http', { kind: 'json', events: [ev('rl')], single: true }), RateLimitedError);
    assert.equal(log.events.length, 0);
    assert.equal((await metric('clickwise_ingest_rate_limited_total'))[0]?.value, 1);
  });

  void it('bounds the bytes being worked on at once', () => {
    const release = service.admit(800, 'http');
    assert.throws(() => service.admit(300, 'http'), OverloadedError);
    release();
    service.admit(300, 'http')();
    // One request larger than the budget still passes alone (the body limit bounds it).
    service.admit(5000, 'http')();
  });
});

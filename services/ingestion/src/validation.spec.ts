import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  EVENT_SOURCE_NAMES,
  EVENT_TYPE_NAMES,
  EventSchema,
  EventSource,
  EventType,
  eventSourceFromName,
  eventTypeFromName,
  type Event,
  type EventTypeName,
  type HttpEvent,
} from '@clickwise/contracts';
import { checkContentType, eventFromJson, eventFromProto, firstBadUtf8, isRejection, parseBody, timeWindow, type Rejection } from './validation.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const limits = { maxBatchBytes: 4096, maxBatchEvents: 3, maxPastMs: 24 * 3_600_000, maxFutureMs: 5 * 60_000 };
const ingest = timeWindow(['ingest'], NOW, limits);
const backfill = timeWindow(['ingest', 'backfill'], NOW, limits);

const good = { eventId: 'e-1', type: 'product_view', userId: 'u-1', sessionId: 's-1', itemId: '42', eventTime: NOW - 1000 };

function reject(raw: unknown, window = ingest, path = 'events[0]'): Rejection {
  const result = eventFromJson(raw, 0, path, window);
  assert.ok(isRejection(result), `expected a rejection for ${JSON.stringify(raw)}`);
  return result;
}

void describe('parseBody and checkContentType', () => {
  const body = (s: string | Buffer) => parseBody(Buffer.isBuffer(s) ? s : Buffer.from(s), limits);

  void it('reads one event or a batch', () => {
    assert.deepEqual(body('{"eventId":"a"}'), { ok: true, events: [{ eventId: 'a' }], single: true });
    assert.deepEqual(body('{"events":[{"eventId":"a"},{"eventId":"b"}]}'), { ok: true, events: [{ eventId: 'a' }, { eventId: 'b' }], single: false });
  });

  const cases: [string, string | Buffer, number, string, RegExp][] = [
    ['empty', '', 400, 'empty_body', /empty/],
    ['malformed JSON', '{"events":[', 400, 'malformed_json', /malformed JSON/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]), 400, 'invalid_utf8', /offset 2/],
    ['a JSON array', '[{"eventId":"a"}]', 400, 'invalid_body', /an array/],
    ['a JSON string', '"hello"', 400, 'invalid_body', /a string/],
    ['null', 'null', 400, 'invalid_body', /null/],
    ['events not an array', '{"events":{}}', 400, 'invalid_body', /must be an array/],
    ['empty events', '{"events":[]}', 400, 'invalid_body', /at least one/],
    ['extra top-level field', '{"events":[],"x":1}', 400, 'invalid_body', /unknown field "x"/],
    ['too many events', '{"events":[{},{},{},{}]}', 413, 'too_many_events', /4 events .* at most 3/],
    ['too many bytes', `{"events":["${'x'.repeat(5000)}"]}`, 413, 'too_large', /at most 4096/],
  ];
  for (const [name, input, status, code, message] of cases) {
    void it(`refuses ${name}`, () => {
      const result = body(input);
      assert.ok(!result.ok);
      assert.equal(result.problem.status, status);
      assert.equal(result.problem.code, code);
      assert.match(result.problem.reason, message);
    });
  }

  void it('accepts JSON and text/plain in UTF-8 only', () => {
    assert.equal(checkContentType('application/json'), undefined);
    assert.equal(checkContentType('application/json; charset=UTF-8'), undefined);
    assert.equal(checkContentType('text/plain;charset=utf-8'), undefined);
    assert.equal(checkContentType(undefined)?.status, 415);
    assert.equal(checkContentType('application/xml')?.status, 415);
    assert.match(checkContentType('application/json; charset=latin1')?.reason ?? '', /charset latin1/);
  });

  void it('finds the first bad UTF-8 byte', () => {
    assert.equal(firstBadUtf8(Buffer.from('héllo €', 'utf8')), -1);
    assert.equal(firstBadUtf8(Buffer.from([0x61, 0xff])), 1);
    assert.equal(firstBadUtf8(Buffer.from([0x61, 0xe2, 0x82])), 1, 'truncated sequence');
    assert.equal(firstBadUtf8(Buffer.from([0xc0, 0x80])), 0, 'overlong');
    assert.equal(firstBadUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0, 'surrogate');
  });
});

void describe('eventFromJson', () => {
  void it('builds a protobuf Event from good JSON', () => {
    const result = eventFromJson(
      { ...good, price: 9.5, currency: 'EUR', quantity: 2, itemIds: ['1', '2'], context: { device: 'mobile', locale: 'de-DE' }, source: 'tracker' },
      0,
      'events[0]',
      ingest,
    );
    assert.ok(!isRejection(result));
    assert.equal(result.type, EventType.PRODUCT_VIEW);
    assert.equal(result.eventTimeMs, BigInt(NOW - 1000));
    assert.equal(result.price, 9.5);
    assert.equal(result.quantity, 2);
    assert.deepEqual(result.itemIds, ['1', '2']);
    assert.equal(result.context?.device, 'mobile');
    assert.equal(result.source, EventSource.TRACKER);
    assert.deepEqual(result, create(EventSchema, result), 'every field present, as create() would make it');
  });

  void it('takes RFC 3339 times, eventTimeMs strings and proto enum names', () => {
    const a = eventFromJson({ ...good, eventTime: '2026-11-28T11:59:00.5+00:00' }, 0, '', ingest);
    assert.ok(!isRejection(a));
    assert.equal(a.eventTimeMs, BigInt(NOW - 59_500));
    const { eventTime: _drop, ...rest } = good;
    const b = eventFromJson({ ...rest, eventTimeMs: String(NOW), type: 'EVENT_TYPE_PRODUCT_VIEW' }, 0, '', ingest);
    assert.ok(!isRejection(b));
    assert.equal(b.eventTimeMs, BigInt(NOW));
  });

  // [name, event, field, reason pattern]
  const table: [string, unknown, string, RegExp][] = [
    ['not an object', 42, 'events[0]', /must be a JSON object, got number 42/],
    ['null event', null, 'events[0]', /got null/],
    ['missing eventId', { ...good, eventId: undefined }, 'events[0].eventId', /is required/],
    ['numeric eventId', { ...good, eventId: 7 }, 'events[0].eventId', /must be a string, got number 7/],
    ['bad eventId characters', { ...good, eventId: 'a b' }, 'events[0].eventId', /may only contain/],
    ['eventId too long', { ...good, eventId: 'x'.repeat(129) }, 'events[0].eventId', /129 characters; at most 128/],
    ['missing type', { ...good, type: undefined }, 'events[0].type', /is required/],
    ['unknown type', { ...good, type: 'teleport' }, 'events[0].type', /unknown event type "teleport"/],
    ['numeric type', { ...good, type: 2 }, 'events[0].type', /must be a string/],
    ['no shopper', { ...good, userId: undefined }, 'events[0].userId', /userId or anonymousId is required/],
    ['missing session', { ...good, sessionId: '' }, 'events[0].sessionId', /is required/],
    ['product view without item', { ...good, itemId: undefined }, 'events[0].itemId', /required for product_view/],
    ['search without query', { ...good, type: 'search', searchQuery: '  ' }, 'events[0].searchQuery', /required for search/],
    ['review without rating', { ...good, type: 'review' }, 'events[0].reviewRating', /required for review/],
    ['rating out of range', { ...good, type: 'review', reviewRating: 6 }, 'events[0].reviewRating', /must be 1..5, got 6/],
    ['fractional rating', { ...good, type: 'review', reviewRating: 4.5 }, 'events[0].reviewRating', /whole number/],
    ['negative price', { ...good, price: -1 }, 'events[0].price', /must be >= 0, got -1/],
    ['price as string', { ...good, price: '9.99' }, 'events[0].price', /must be a number, got the string "9.99"/],
    ['zero quantity', { ...good, quantity: 0 }, 'events[0].quantity', /must be >= 1/],
    ['bad currency', { ...good, currency: 'euro' }, 'events[0].currency', /ISO 4217/],
    ['missing time', { ...good, eventTime: undefined }, 'events[0].eventTime', /is required/],
    ['unparseable time', { ...good, eventTime: 'yesterday' }, 'events[0].eventTime', /RFC 3339/],
    ['impossible date', { ...good, eventTime: '2026-02-31T25:00:00Z' }, 'events[0].eventTime', /not a real time/],
    ['fractional ms', { ...good, eventTime: 1.5 }, 'events[0].eventTime', /whole unix milliseconds/],
    ['both time fields', { ...good, eventTimeMs: NOW }, 'events[0].eventTimeMs', /not both/],
    ['too old for ingest', { ...good, eventTime: NOW - 2 * 24 * 3_600_000 }, 'events[0].eventTime', /2 d before arrival.*at most 24 h old.*backfill/],
    ['too far ahead', { ...good, eventTime: NOW + 10 * 60_000 }, 'events[0].eventTime', /10 min after arrival; at most 5 min ahead/],
    ['unknown field', { ...good, colour: 'red' }, 'events[0].colour', /unknown field/],
    ['server field', { ...good, apiKeyId: 'k' }, 'events[0].apiKeyId', /set by ingestion/],
    ['context not an object', { ...good, context: 'mobile' }, 'events[0].context', /must be an object/],
    ['unknown context field', { ...good, context: { os: 'linux' } }, 'events[0].context.os', /unknown field/],
    ['itemIds not an array', { ...good, itemIds: '1,2' }, 'events[0].itemIds', /must be an array/],
    ['itemIds with a number', { ...good, itemIds: ['1', 2] }, 'events[0].itemIds[1]', /must be a string/],
    ['unpaired surrogate', { ...good, userId: 'a\ud800b' }, 'events[0].userId', /surrogate/],
    ['bad source', { ...good, source: 'fax' }, 'events[0].source', /must be one of/],
  ];
  for (const [name, raw, field, reason] of table) {
    void it(`rejects ${name}`, () => {
      const r = reject(raw);
      assert.equal(r.field, field);
      assert.match(r.reason, reason);
      assert.equal(r.index, 0);
    });
  }

  void it('lets a backfill key send history but not times before 2000 (seconds instead of ms)', () => {
    assert.ok(!isRejection(eventFromJson({ ...good, eventTime: Date.UTC(2015, 5, 1) }, 0, '', backfill)));
    const r = reject({ ...good, eventTime: 1_790_000_000 }, backfill, '');
    assert.equal(r.field, 'eventTime');
    assert.match(r.reason, /before 2000-01-01.*seconds\?/);
  });

  void it('names fields without a prefix for a single-event body, and keeps the event id', () => {
    const r = reject({ ...good, price: -3 }, ingest, '');
    assert.equal(r.field, 'price');
    assert.equal(r.eventId, 'e-1');
  });
});

void describe('eventFromProto', () => {
  const base = (): Event =>
    create(EventSchema, { eventId: 'g-1', type: EventType.SEARCH, anonymousId: 'a', sessionId: 's', searchQuery: 'shoes', eventTimeMs: BigInt(NOW) });

  void it('accepts a good event and marks it as gRPC', () => {
    const result = eventFromProto(base(), 5, 'events[5]', ingest);
    assert.ok(!isRejection(result));
    assert.equal(result.source, EventSource.GRPC);
  });

  void it('applies the same rules as JSON and refuses server-set fields', () => {
    const cases: [Partial<Event>, string, RegExp][] = [
      [{ type: EventType.UNSPECIFIED }, 'events[5].type', /is required/],
      [{ type: 99 as EventType }, 'events[5].type', /unknown event type 99/],
      [{ eventTimeMs: 0n }, 'events[5].eventTimeMs', /is required/],
      [{ price: -2 }, 'events[5].price', />= 0/],
      [{ ingestedAtMs: 5n }, 'events[5].ingestedAtMs', /set by ingestion/],
      [{ apiKeyId: 'x' }, 'events[5].apiKeyId', /set by ingestion/],
      [{ source: EventSource.HTTP }, 'events[5].source', /must be UNSPECIFIED/],
      [{ itemIds: ['ok', ''] }, 'events[5].itemIds[1]', /must not be empty/],
      [{ sessionId: 's'.repeat(200) }, 'events[5].sessionId', /at most 128/],
    ];
    for (const [patch, field, reason] of cases) {
      const result = eventFromProto({ ...base(), ...patch }, 5, 'events[5]', ingest);
      assert.ok(isRejection(result), JSON.stringify(patch, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
      assert.equal(result.field, field);
      assert.match(result.reason, reason);
      assert.equal(result.index, 5);
    }
  });
});

void describe('the HTTP event contract', () => {
  /** A valid HTTP event of each type: the contract's type, with what the rules need for that type. */
  const ofType = (type: EventTypeName, i: number): HttpEvent => ({
    eventId: `t-${i}`,
    type,
    anonymousId: 'a-1',
    sessionId: 's-1',
    itemId: 'i-1',
    eventTime: NOW,
    ...(type === 'search' ? { searchQuery: 'red shoes' } : {}),
    ...(type === 'review' ? { reviewRating: 4, reviewText: 'fine' } : {}),
    ...(type === 'recommendation_shown' ? { recommendationId: 'r-1', itemIds: ['i-1', 'i-2'] } : {}),
  });

  void it('accepts every event type of the contract, by its name and by its proto name', () => {
    assert.equal(EVENT_TYPE_NAMES.length, 10);
    EVENT_TYPE_NAMES.forEach((name, i) => {
      const result = eventFromJson(ofType(name, i), i, '', ingest);
      assert.ok(!isRejection(result), `${name}: ${isRejection(result) ? result.reason : ''}`);
      assert.equal(result.type, eventTypeFromName(name));
      const proto = eventFromJson({ ...ofType(name, i), type: `EVENT_TYPE_${name.toUpperCase()}` }, i, '', ingest);
      assert.ok(!isRejection(proto), name);
      assert.equal(proto.type, result.type);
    });
  });

  void it('accepts every source name a client may give, and only those', () => {
    for (const source of EVENT_SOURCE_NAMES) {
      const result = eventFromJson({ ...ofType('page_view', 0), source }, 0, '', ingest);
      assert.ok(!isRejection(result), source);
      assert.equal(result.source, eventSourceFromName(source));
    }
    assert.match(reject({ ...good, source: 'grpc' }).reason, /must be one of http, tracker, replay, simulator/);
  });

  // Names were looked up in plain objects: "toString" found Object.prototype's function, and as a
  // source it passed validation and broke the protobuf encoding.
  for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
    void it(`refuses the inherited object key ${JSON.stringify(name)} as a type or source`, () => {
      const type = reject({ ...good, type: name });
      assert.equal(type.field, 'events[0].type');
      assert.match(type.reason, new RegExp(`unknown event type ${JSON.stringify(name)}; known types: page_view, product_view`));
      const source = reject({ ...good, source: name });
      assert.equal(source.field, 'events[0].source');
      assert.match(source.reason, /must be one of http, tracker, replay, simulator/);
    });
  }
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { DeadLetterSchema, EventSchema, EventType, IngestService, type DeadLetter } from '@clickwise/contracts';
import { createClient, type ServiceClient } from '@clickwise/grpc';
import * as grpc from '@grpc/grpc-js';
import { testInfra, uniqueName, waitFor } from '@clickwise/testing';
import { ensureKcat, jsonEvent, kcatRead, postEvents, TestScope, type IngestionProcess } from './harness.js';

interface Answer {
  status: number | string;
  message: string;
  body?: Record<string, unknown>;
}

interface Case {
  name: string;
  send: (marker: string) => Promise<Answer>;
  status: number | string;
  message: RegExp;
  /** Dead letters expected (reason codes), found by the marker in their payload; none for refused callers. */
  dlq: string[];
  /** For per-event refusals: the field path reported. */
  field?: string;
  /** Match the dead letter by reason code instead of the marker (no payload to carry one). */
  byCode?: boolean;
  /** Events of this case that are good and must be on clickstream.events.v1. */
  good?: string[];
}

type IngestClient = ServiceClient<(typeof IngestService)['method']>;

/**
 * More than thirty kinds of bad input, each answered with the right status and a message naming
 * what is wrong; none reaches clickstream.events.v1; every one from an authenticated caller is on
 * clickstream.dlq.v1 with its reason; callers without a valid key are refused before anything is
 * written; the service is healthy afterwards.
 */
void describe('ingestion bad input (table-driven)', () => {
  const { kafkaBrokers, redisUrl } = testInfra();
  const scope = new TestScope('ingest-bad', kafkaBrokers, redisUrl);
  let service: IngestionProcess;
  let ingestKey: { key: string; id: string };
  let backfillKey: { key: string; id: string };
  let readKey: { key: string; id: string };
  let revokedKey: { key: string; id: string };
  let client: IngestClient;

  before(async () => {
    await Promise.all([ensureKcat(), scope.createTopics()]);
    ingestKey = await scope.key('bad-input', ['ingest']);
    backfillKey = await scope.key('bad-input-backfill', ['backfill']);
    readKey = await scope.key('reader', ['read']);
    revokedKey = await scope.key('revoked', ['ingest']);
    await scope.store.revoke(revokedKey.id);
    service = await scope.start();
    client = createClient(IngestService, service.grpcAddress, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 8 * 1024 * 1024 });
  });

  after(async () => {
    client?.close();
    await service?.stop();
    await scope.dispose();
  });

  const http = async (body: string | Buffer, options: { key?: string | null; contentType?: string | null; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const key = options.key === null ? undefined : (options.key ?? ingestKey.key);
    const r = await postEvents(service.httpUrl, undefined, {
      key,
      raw: typeof body === 'string' && options.contentType === null ? Buffer.from(body) : body,
      contentType: options.contentType,
      headers: options.headers,
    });
    const error = r.body.error as { message?: string } | undefined;
    return { status: r.status, message: error?.message ?? JSON.stringify(r.body), body: r.body };
  };
  const now = () => Date.now() - 1000;
  const base = (marker: string, extra: Record<string, unknown> = {}) => ({
    eventId: uniqueName('bad'),
    type: 'product_view',
    userId: 'bad-user',
    sessionId: marker,
    itemId: 'item-1',
    eventTime: now(),
    ...extra,
  });
  /** One event refused for a field: 400 with the field path and reason, one dead letter. */
  const eventCase = (name: string, make: (marker: string) => unknown, field: string, reason: RegExp, code: string, key?: () => string): Case => ({
    name,
    send: (marker) => http(JSON.stringify(make(marker)), { key: key?.() }),
    status: 400,
    message: reason,
    field,
    dlq: [code],
  });
  const grpcCall = async (events: Parameters<IngestClient['ingestBatch']>[0]['events'], key: string | undefined): Promise<Answer> => {
    try {
      const response = await client.ingestBatch({ events }, { metadata: key ? { 'x-api-key': key } : {}, timeoutMs: 20_000 });
      const first = response.rejected[0];
      return { status: 'OK', message: first ? `${first.field}: ${first.reason}` : '', body: { accepted: response.accepted, rejected: response.rejected.length } };
    } catch (error) {
      const e = error as grpc.ServiceError;
      return { status: grpc.status[e.code], message: e.details };
    }
  };
  const grpcEvent = (marker: string, extra: Record<string, unknown> = {}) => ({
    eventId: uniqueName('gbad'),
    type: EventType.PAGE_VIEW,
    userId: 'g',
    sessionId: marker,
    eventTimeMs: BigInt(now()),
    ...extra,
  });

  const goodInPartial = uniqueName('good-in-partial');

  const cases: Case[] = [
    // The body as a whole.
    { name: 'malformed JSON', send: (m) => http(`{"sessionId":"${m}",`), status: 400, message: /malformed JSON/, dlq: ['malformed_json'] },
    { name: 'truncated batch', send: (m) => http(`{"events":[{"sessionId":"${m}"}`), status: 400, message: /malformed JSON/, dlq: ['malformed_json'] },
    { name: 'empty body', send: () => http(''), status: 400, message: /body is empty/, dlq: ['empty_body'], byCode: true },
    {
      name: 'invalid UTF-8',
      send: (m) => http(Buffer.concat([Buffer.from(`{"sessionId":"${m}","userId":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
      status: 400,
      message: /not valid UTF-8 .*offset/,
      dlq: ['invalid_utf8'],
    },
    { name: 'wrong content type', send: (m) => http(`<event id="${m}"/>`, { contentType: 'application/xml' }), status: 415, message: /application\/xml is not supported/, dlq: ['unsupported_media_type'] },
    { name: 'no content type', send: (m) => http(`{"sessionId":"${m}"}`, { contentType: null }), status: 415, message: /Content-Type is required/, dlq: ['unsupported_media_type'] },
    { name: 'non-UTF-8 charset', send: (m) => http(`{"sessionId":"${m}"}`, { contentType: 'application/json; charset=iso-8859-1' }), status: 415, message: /charset iso-8859-1/, dlq: ['unsupported_media_type'] },
    { name: 'body is an array', send: (m) => http(`[{"sessionId":"${m}"}]`), status: 400, message: /body is an array/, dlq: ['invalid_body'] },
    { name: 'body is a string', send: (m) => http(`"${m}"`), status: 400, message: /body is a string/, dlq: ['invalid_body'] },
    { name: 'events is not an array', send: (m) => http(`{"events":"${m}"}`), status: 400, message: /events must be an array/, dlq: ['invalid_body'] },
    { name: 'field beside events', send: (m) => http(`{"events":[],"note":"${m}"}`), status: 400, message: /unknown field "note"/, dlq: ['invalid_body'] },
    {
      name: 'more than 1,000 events',
      send: (m) => http(JSON.stringify({ events: Array.from({ length: 1001 }, (_, i) => base(i === 0 ? m : 's')) })),
      status: 413,
      message: /1001 events in one request; at most 1000/,
      dlq: ['too_many_events'],
    },
    {
      name: 'body over 1 MiB',
      send: (m) => http(`{"events":[{"sessionId":"${m}","reviewText":"${'x'.repeat(1_100_000)}"}]}`),
      status: 413,
      message: /at most 1048576 are accepted/,
      dlq: ['too_large'],
    },
    {
      name: 'body over 4 MiB (refused before it is read, no dead letter)',
      send: (m) => http(`{"sessionId":"${m}","reviewText":"${'y'.repeat(4_300_000)}"}`),
      status: 413,
      message: /over 4194304 bytes/,
      dlq: [],
    },
    // One event, one field.
    eventCase('missing eventId', (m) => base(m, { eventId: undefined }), 'eventId', /eventId: is required/, 'missing_field'),
    eventCase('numeric eventId', (m) => base(m, { eventId: 12345 }), 'eventId', /must be a string, got number 12345/, 'invalid_field'),
    eventCase('eventId with spaces', (m) => base(m, { eventId: 'has spaces' }), 'eventId', /may only contain/, 'invalid_field'),
    eventCase('eventId too long', (m) => base(m, { eventId: 'x'.repeat(200) }), 'eventId', /200 characters; at most 128/, 'invalid_field'),
    eventCase('missing type', (m) => base(m, { type: undefined }), 'type', /type: is required/, 'missing_field'),
    eventCase('unknown event type', (m) => base(m, { type: 'teleport' }), 'type', /unknown event type "teleport"/, 'invalid_field'),
    eventCase('no shopper id', (m) => base(m, { userId: undefined }), 'userId', /userId or anonymousId is required/, 'missing_field'),
    eventCase('missing session', (m) => base('', { userId: m, sessionId: undefined }), 'sessionId', /sessionId: is required/, 'missing_field'),
    eventCase('product view without item', (m) => base(m, { itemId: undefined }), 'itemId', /required for product_view/, 'missing_field'),
    eventCase('search without query', (m) => base(m, { type: 'search' }), 'searchQuery', /required for search/, 'missing_field'),
    eventCase('review without rating', (m) => base(m, { type: 'review', reviewText: 'ok' }), 'reviewRating', /required for review/, 'missing_field'),
    eventCase('rating out of range', (m) => base(m, { type: 'review', reviewRating: 9 }), 'reviewRating', /must be 1..5, got 9/, 'invalid_field'),
    eventCase('negative price', (m) => base(m, { price: -4.5 }), 'price', /must be >= 0, got -4.5/, 'invalid_field'),
    eventCase('price as a string', (m) => base(m, { price: '4.50' }), 'price', /must be a number, got the string "4.50"/, 'invalid_field'),
    eventCase('zero quantity', (m) => base(m, { type: 'add_to_cart', quantity: 0 }), 'quantity', /must be >= 1/, 'invalid_field'),
    eventCase('bad currency', (m) => base(m, { currency: 'euros' }), 'currency', /ISO 4217/, 'invalid_field'),
    eventCase('missing event time', (m) => base(m, { eventTime: undefined }), 'eventTime', /eventTime: is required/, 'missing_field'),
    eventCase('unparseable event time', (m) => base(m, { eventTime: 'last tuesday' }), 'eventTime', /RFC 3339/, 'invalid_field'),
    eventCase('event too old for an ingest key', (m) => base(m, { eventTime: Date.now() - 3 * 86_400_000 }), 'eventTime', /3 d before arrival.*backfill/, 'out_of_window'),
    eventCase('event in the future', (m) => base(m, { eventTime: Date.now() + 3_600_000 }), 'eventTime', /after arrival; at most 5 min ahead/, 'out_of_window'),
    eventCase('seconds instead of ms (backfill key)', (m) => base(m, { eventTime: Math.floor(Date.now() / 1000) }), 'eventTime', /before 2000-01-01/, 'out_of_window', () => backfillKey.key),
    eventCase('an inherited object key as source', (m) => base(m, { source: 'toString' }), 'source', /must be one of http, tracker, replay, simulator/, 'invalid_field'),
    eventCase('an inherited object key as type', (m) => base(m, { type: 'constructor' }), 'type', /unknown event type "constructor"/, 'invalid_field'),
    eventCase('unknown field', (m) => base(m, { colour: 'red' }), 'colour', /unknown field/, 'unknown_field'),
    eventCase('field set by ingestion', (m) => base(m, { apiKeyId: 'key_forged' }), 'apiKeyId', /set by ingestion/, 'unknown_field'),
    eventCase('context not an object', (m) => base('s', { context: m }), 'context', /must be an object/, 'invalid_field'),
    eventCase('itemIds not an array', (m) => base(m, { itemIds: 'a,b' }), 'itemIds', /must be an array/, 'invalid_field'),
    {
      name: 'unpaired UTF-16 surrogate',
      send: (m) => http(`{"eventId":"${uniqueName('sur')}","type":"page_view","userId":"a\\ud800b","sessionId":"${m}","eventTime":${now()}}`),
      status: 400,
      message: /unpaired UTF-16 surrogate/,
      field: 'userId',
      dlq: ['invalid_field'],
    },
    eventCase('event over 32 KiB encoded', (m) => base(m, { type: 'review', reviewRating: 3, reviewText: '€'.repeat(12_000) }), 'event', /at most 32768/, 'too_large'),
    {
      name: 'batch where every event is bad',
      send: (m) => http(JSON.stringify({ events: [42, base(m, { price: -1 })] })),
      status: 400,
      message: /all 2 events were rejected/,
      dlq: ['invalid_field'],
    },
    {
      name: 'batch with one bad event (the good one is accepted)',
      send: (m) => http(JSON.stringify({ events: [base('ok', { eventId: goodInPartial }), base(m, { type: 'checkout', userId: undefined })] })),
      status: 200,
      message: /"accepted":1.*"field":"events\[1\]\.userId"/,
      dlq: ['missing_field'],
      good: [goodInPartial],
    },
    // Callers: refused before anything is written.
    { name: 'no API key', send: (m) => http(JSON.stringify(base(m)), { key: null }), status: 401, message: /an API key is required/, dlq: [] },
    { name: 'unknown API key', send: (m) => http(JSON.stringify(base(m)), { key: 'cw_wrongwrongwrongwrongwrongwrongwron' }), status: 401, message: /unknown API key/, dlq: [] },
    { name: 'revoked API key', send: (m) => http(JSON.stringify(base(m)), { key: revokedKey.key }), status: 401, message: /was revoked/, dlq: [] },
    { name: 'key without the ingest scope', send: (m) => http(JSON.stringify(base(m)), { key: readKey.key }), status: 403, message: /lacks the "ingest" or "backfill" scope/, dlq: [] },
    { name: 'Basic auth instead of a key', send: (m) => http(JSON.stringify(base(m)), { key: null, headers: { authorization: 'Basic dXNlcjpwYXNz' } }), status: 401, message: /an API key is required/, dlq: [] },
    // gRPC.
    { name: 'gRPC without a key', send: (m) => grpcCall([grpcEvent(m)], undefined), status: 'UNAUTHENTICATED', message: /an API key is required/, dlq: [] },
    { name: 'gRPC key without the ingest scope', send: (m) => grpcCall([grpcEvent(m)], readKey.key), status: 'PERMISSION_DENIED', message: /lacks the "ingest"/, dlq: [] },
    { name: 'gRPC empty batch', send: () => grpcCall([], ingestKey.key), status: 'INVALID_ARGUMENT', message: /events is empty/, dlq: ['invalid_body'], byCode: true },
    {
      name: 'gRPC event with a negative price',
      send: (m) => grpcCall([grpcEvent(m, { price: -2 })], ingestKey.key),
      status: 'OK',
      message: /events\[0\]\.price: must be >= 0/,
      dlq: ['invalid_field'],
    },
    {
      name: 'gRPC event without a type',
      send: (m) => grpcCall([grpcEvent(m, { type: EventType.UNSPECIFIED })], ingestKey.key),
      status: 'OK',
      message: /events\[0\]\.type: is required/,
      dlq: ['missing_field'],
    },
    {
      name: 'gRPC message over 1 MiB (refused by the transport)',
      send: (m) => grpcCall([grpcEvent(m, { reviewText: 'x'.repeat(1_200_000) })], ingestKey.key),
      status: 'RESOURCE_EXHAUSTED',
      message: /larger than max/,
      dlq: [],
    },
  ];

  void test(`${cases.length} kinds of bad input: right status and message, nothing on the events topic, every authenticated one dead-lettered`, async () => {
    const markers = new Map<Case, string>();
    const failures: string[] = [];
    for (const c of cases) {
      const marker = uniqueName('case');
      markers.set(c, marker);
      const answer = await c.send(marker);
      if (answer.status !== c.status) failures.push(`${c.name}: status ${answer.status}, expected ${c.status} (${answer.message})`);
      const text = c.status === 200 ? JSON.stringify(answer.body) : answer.message;
      if (!c.message.test(text)) failures.push(`${c.name}: message "${text.slice(0, 300)}" does not match ${String(c.message)}`);
      if (c.field !== undefined) {
        const rejected = (answer.body?.rejected as { field: string; reason: string }[] | undefined)?.[0];
        if (rejected?.field !== c.field) failures.push(`${c.name}: field "${rejected?.field}", expected "${c.field}"`);
      }
    }
    assert.deepEqual(failures, [], failures.join('\n'));

    // The service is healthy and still takes good events.
    const ready = await fetch(`${service.httpUrl}/health/ready`);
    assert.equal(ready.status, 200);
    const healthy = jsonEvent();
    const ok = await postEvents(service.httpUrl, healthy, { key: ingestKey.key });
    assert.equal(ok.status, 200);

    // clickstream.events.v1 holds only the good events.
    const goodIds = new Set([healthy.eventId, ...cases.flatMap((c) => c.good ?? [])]);
    const events = await kcatRead(kafkaBrokers, scope.eventsTopic);
    const onTopic = events.map((r) => fromBinary(EventSchema, r.value).eventId);
    assert.deepEqual(onTopic.sort(), [...goodIds].sort(), 'no bad event reached clickstream.events.v1');

    // clickstream.dlq.v1 holds exactly one letter per authenticated refusal, with its reason.
    const expected = cases.reduce((n, c) => n + c.dlq.length, 0) + 1; // + the number in the batch of two bad events
    const letters = await waitFor(
      async () => {
        const read = (await kcatRead(kafkaBrokers, scope.deadLettersTopic)).map((r) => fromBinary(DeadLetterSchema, r.value));
        return read.length >= expected ? read : undefined;
      },
      { timeoutMs: 20_000, message: `${expected} dead letters` },
    );
    assert.equal(letters.length, expected, 'no dead letters for callers without a valid key');
    const unmatched = new Set<DeadLetter>(letters);
    for (const c of cases) {
      const marker = markers.get(c)!;
      for (const code of c.dlq) {
        const letter = [...unmatched].find((l) => l.reasonCode === code && (c.byCode ? true : Buffer.from(l.payload).includes(marker)));
        assert.ok(letter, `${c.name}: a dead letter with reason ${code}`);
        unmatched.delete(letter);
        assert.equal(letter.stage, 'ingestion');
        assert.ok([ingestKey.id, backfillKey.id].includes(letter.apiKeyId), `${c.name}: the caller's key id`);
        assert.ok(letter.reason.length > 0);
        assert.ok(letter.payload.length <= 64 * 1024, 'payload bounded');
      }
    }
    assert.equal(unmatched.size, 1, 'the one left is the not-an-object event of the all-bad batch');
    assert.equal([...unmatched][0]?.reasonCode, 'not_an_object');
    const big = letters.find((l) => l.reasonCode === 'too_large' && l.originalSize > 1_000_000);
    assert.ok(big?.truncated, 'an oversized body is dead-lettered cut to the payload limit');

    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    assert.match(metrics, /clickwise_ingest_unauthenticated_total\{[^}]*reason="missing"[^}]*\} [1-9]/);
    assert.match(metrics, /clickwise_ingest_unauthenticated_total\{[^}]*reason="revoked"[^}]*\} 1/);
    assert.match(metrics, /clickwise_ingest_events_rejected_total\{[^}]*reason="out_of_window"[^}]*\} 3/);
  });
});

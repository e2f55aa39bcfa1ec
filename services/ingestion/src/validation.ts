import { isUtf8 } from 'node:buffer';
import {
  EVENT_SOURCE_NAMES,
  EVENT_TYPE_NAMES,
  eventSourceFromName,
  eventTypeFromName,
  eventTypeName,
  EventSource,
  EventType,
  type Event,
  type EventContext,
  type HttpEventField,
} from '@clickwise/contracts';
import type { IngestLimits } from './config.js';

/**
 * Pure validation of storefront events: JSON bodies and protobuf events in, protobuf Events or
 * precise rejections (index, field path, reason) out. No I/O, no framework, no allocation-heavy
 * schema library: this runs for every event ingested.
 */

/** Why a single event was refused. */
export type RejectionCode = 'not_an_object' | 'unknown_field' | 'missing_field' | 'invalid_field' | 'out_of_window' | 'too_large';

export interface Rejection {
  index: number;
  eventId: string;
  /** Path from the request body, e.g. `events[3].price` (`price` for a single-event body). */
  field: string;
  reason: string;
  code: RejectionCode;
}

/** Why a whole request body was refused. */
export interface BodyProblem {
  status: 400 | 413 | 415;
  code: 'unsupported_media_type' | 'empty_body' | 'too_large' | 'invalid_utf8' | 'malformed_json' | 'invalid_body' | 'too_many_events' | 'too_many_items';
  reason: string;
  field?: string;
}

/** Event times a request may carry, from its key's scopes. */
export interface TimeWindow {
  /** Arrival time the window is around. */
  nowMs: number;
  minMs: number;
  maxMs: number;
  /** The scope the window comes from, for messages. */
  scope: 'ingest' | 'backfill';
}

/** Backfill accepts history, but nothing before this (2000-01-01): such times are unit mistakes. */
export const BACKFILL_MIN_MS = 946_684_800_000;

export const MAX_ID_CHARS = 128;
export const MAX_SEARCH_QUERY_CHARS = 1024;
export const MAX_REVIEW_TEXT_CHARS = 16_384;
export const MAX_CONTEXT_CHARS = 2048;
export const MAX_ITEM_IDS = 1000;

const HOUR_MS = 3_600_000;

function duration(ms: number): string {
  if (ms >= 2 * 24 * HOUR_MS) return `${Math.round(ms / (24 * HOUR_MS))} d`;
  if (ms >= 2 * HOUR_MS) return `${Math.round(ms / HOUR_MS)} h`;
  if (ms >= 2 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}

/** The event-time window for a key: `backfill` accepts history, `ingest` only recent events. */
export function timeWindow(scopes: readonly string[], nowMs: number, limits: Pick<IngestLimits, 'maxPastMs' | 'maxFutureMs'>): TimeWindow {
  const maxMs = nowMs + limits.maxFutureMs;
  if (scopes.includes('backfill')) return { nowMs, minMs: BACKFILL_MIN_MS, maxMs, scope: 'backfill' };
  return { nowMs, minMs: nowMs - limits.maxPastMs, maxMs, scope: 'ingest' };
}

/** `application/json` or `text/plain` (sendBeacon), optionally with `charset=utf-8`. */
export function checkContentType(header: string | undefined): BodyProblem | undefined {
  const unsupported = (reason: string): BodyProblem => ({ status: 415, code: 'unsupported_media_type', reason });
  if (!header) return unsupported('Content-Type is required: application/json (or text/plain for sendBeacon)');
  const [type = '', ...params] = header.split(';');
  const mime = type.trim().toLowerCase();
  if (mime !== 'application/json' && mime !== 'text/plain') {
    return unsupported(`Content-Type ${mime || '(empty)'} is not supported: send application/json (or text/plain for sendBeacon)`);
  }
  for (const param of params) {
    const [name = '', value = ''] = param.split('=');
    if (name.trim().toLowerCase() === 'charset' && !/^"?utf-?8"?$/i.test(value.trim())) {
      return unsupported(`charset ${value.trim()} is not supported: the body must be UTF-8`);
    }
  }
  return undefined;
}

export type ParsedBody = { ok: true; events: unknown[]; single: boolean } | { ok: false; problem: BodyProblem };

/**
 * Reads a request body: UTF-8 (checked on the raw bytes, before any decoding could replace bad
 * sequences), JSON, and either one event object or `{"events": [...]}`.
 */
export function parseBody(bytes: Buffer, limits: Pick<IngestLimits, 'maxBatchBytes' | 'maxBatchEvents'>): ParsedBody {
  const fail = (problem: BodyProblem): ParsedBody => ({ ok: false, problem });
  if (bytes.length === 0) return fail({ status: 400, code: 'empty_body', reason: 'the body is empty: send one event or {"events": [...]}' });
  if (bytes.length > limits.maxBatchBytes) {
    return fail({ status: 413, code: 'too_large', reason: `the body is ${bytes.length} bytes; at most ${limits.maxBatchBytes} are accepted per request` });
  }
  if (!isUtf8(bytes)) return fail({ status: 400, code: 'invalid_utf8', reason: `the body is not valid UTF-8 (bad byte sequence at offset ${firstBadUtf8(bytes)})` });
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return fail({ status: 400, code: 'malformed_json', reason: `malformed JSON: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const what = Array.isArray(body) ? 'an array' : body === null ? 'null' : `a ${typeof body}`;
    return fail({ status: 400, code: 'invalid_body', reason: `the body is ${what}: send one event object or {"events": [...]}` });
  }
  if (!('events' in body)) return { ok: true, events: [body], single: true };
  const { events, ...rest } = body;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    return fail({ status: 400, code: 'invalid_body', field: extra[0], reason: `unknown field "${extra[0]}" beside "events": a batch is {"events": [...]}` });
  }
  if (!Array.isArray(events)) return fail({ status: 400, code: 'invalid_body', field: 'events', reason: 'events must be an array of event objects' });
  if (events.length === 0) return fail({ status: 400, code: 'invalid_body', field: 'events', reason: 'events is empty: send at least one event' });
  if (events.length > limits.maxBatchEvents) {
    return fail({
      status: 413,
      code: 'too_many_events',
      field: 'events',
      reason: `${events.length} events in one request; at most ${limits.maxBatchEvents} are accepted (split the batch)`,
    });
  }
  return { ok: true, events, single: false };
}

/** Offset of the first byte that breaks UTF-8 (only called once isUtf8 said no, for the message). */
export function firstBadUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Types that name one product. */
const NEEDS_ITEM = new Set<EventType>([
  EventType.PRODUCT_VIEW,
  EventType.ADD_TO_CART,
  EventType.REMOVE_FROM_CART,
  EventType.REVIEW,
  EventType.RECOMMENDATION_CLICKED,
]);

const EVENT_ID = /^[A-Za-z0-9_.:-]+$/;
const CURRENCY = /^[A-Z]{3}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const DIGITS = /^-?\d{1,19}$/;

const CONTEXT_FIELDS = ['device', 'referrer', 'page', 'userAgent', 'locale'] as const;

/** A blank Event (every field at its proto3 default), built without the reflection API. */
export function emptyEvent(): Event {
  return {
    $typeName: 'clickwise.v1.Event',
    eventId: '',
    type: EventType.UNSPECIFIED,
    userId: '',
    anonymousId: '',
    sessionId: '',
    itemId: '',
    categoryId: '',
    currency: '',
    searchQuery: '',
    reviewText: '',
    recommendationId: '',
    itemIds: [],
    eventTimeMs: 0n,
    ingestedAtMs: 0n,
    source: EventSource.UNSPECIFIED,
    apiKeyId: '',
  };
}

/** A problem with one field, before it is placed in a batch. */
interface Problem {
  field: string;
  reason: string;
  code: RejectionCode;
}

class EventProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.reason);
  }
}

function bad(field: string, reason: string, code: RejectionCode = 'invalid_field'): never {
  throw new EventProblem({ field, reason, code });
}

function join(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

function string(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') bad(field, `must be a string, got ${describe(value)}`);
  if (value.length > max) bad(field, `is ${value.length} characters; at most ${max} are allowed`);
  if (!value.isWellFormed()) bad(field, 'contains an unpaired UTF-16 surrogate (not valid Unicode)');
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value}`;
  return typeof value;
}

function integer(value: unknown, field: string): number {
  if (typeof value !== 'number') bad(field, `must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value)) bad(field, `must be a whole number, got ${value}`);
  return value;
}

function parseTime(value: unknown, field: string, allowString: 'rfc3339' | 'digits'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) bad(field, `must be whole unix milliseconds, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    if (allowString === 'digits' || DIGITS.test(value)) {
      if (!DIGITS.test(value)) bad(field, `must be unix milliseconds (a number or a string of digits), got ${describe(value)}`);
      return Number(value);
    }
    if (!RFC3339.test(value)) bad(field, `must be unix milliseconds or an RFC 3339 time like 2026-11-28T10:00:00Z, got ${describe(value)}`);
    const ms = Date.parse(value.replace(' ', 'T'));
    if (Number.isNaN(ms)) bad(field, `is not a real time: ${describe(value)}`);
    return ms;
  }
  bad(field, `must be unix milliseconds (number) or an RFC 3339 string, got ${describe(value)}`);
}

function contextFromJson(value: unknown, path: string): EventContext {
  const field = join(path, 'context');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(field, `must be an object, got ${describe(value)}`);
  const context: EventContext = { $typeName: 'clickwise.v1.EventContext', device: '', referrer: '', page: '', userAgent: '', locale: '' };
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (!(CONTEXT_FIELDS as readonly string[]).includes(key)) {
      bad(`${field}.${key}`, `unknown field; context has ${CONTEXT_FIELDS.join(', ')}`, 'unknown_field');
    }
    if (v === null || v === undefined) continue;
    context[key as (typeof CONTEXT_FIELDS)[number]] = string(v, `${field}.${key}`, MAX_CONTEXT_CHARS);
  }
  return context;
}

/**
 * Builds an Event from one JSON event object, checking types while copying fields, then the
 * rules every event must meet (`checkEvent`). Field names are the proto's JSON names; `eventTime`
 * (unix ms or RFC 3339) stands for `eventTimeMs`. Throws nothing: returns the Event or a Rejection.
 */
export function eventFromJson(raw: unknown, index: number, path: string, window: TimeWindow): Event | Rejection {
  const ev = emptyEvent();
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      bad(path || 'event', `an event must be a JSON object, got ${describe(raw)}`, 'not_an_object');
    }
    const obj = raw as Record<string, unknown>;
    if (typeof obj.eventId === 'string') ev.eventId = obj.eventId;
    let time: number | undefined;
    for (const key in obj) {
      const value = obj[key];
      const field = join(path, key);
      if (value === null || value === undefined) {
        // JSON null means "not set", as in proto3 JSON.
        continue;
      }
      // Typed by the contract, so a field added to the proto's Event must get its case here (lint).
      switch (key as HttpEventField) {
        case 'eventId':
          ev.eventId = string(value, field, 1_000_000);
          break;
        case 'type': {
          if (typeof value !== 'string') bad(field, `must be a string such as "product_view", got ${describe(value)}`);
          const type = eventTypeFromName(value);
          if (type === undefined) bad(field, `unknown event type ${JSON.stringify(value.slice(0, 60))}; known types: ${EVENT_TYPE_NAMES.join(', ')}`);
          ev.type = type;
          break;
        }
        case 'userId':
          ev.userId = string(value, field, MAX_ID_CHARS);
          break;
        case 'anonymousId':
          ev.anonymousId = string(value, field, MAX_ID_CHARS);
          break;
        case 'sessionId':
          ev.sessionId = string(value, field, MAX_ID_CHARS);
          break;
        case 'itemId':
          ev.itemId = string(value, field, MAX_ID_CHARS);
          break;
        case 'categoryId':
          ev.categoryId = string(value, field, MAX_ID_CHARS);
          break;
        case 'price':
          if (typeof value !== 'number') bad(field, `must be a number, got ${describe(value)}`);
          ev.price = value;
          break;
        case 'currency':
          ev.currency = string(value, field, 3 * 4);
          break;
        case 'quantity':
          ev.quantity = integer(value, field);
          break;
        case 'searchQuery':
          ev.searchQuery = string(value, field, MAX_SEARCH_QUERY_CHARS);
          break;
        case 'reviewText':
          ev.reviewText = string(value, field, MAX_REVIEW_TEXT_CHARS);
          break;
        case 'reviewRating':
          ev.reviewRating = integer(value, field);
          break;
        case 'recommendationId':
          ev.recommendationId = string(value, field, MAX_ID_CHARS);
          break;
        case 'itemIds': {
          if (!Array.isArray(value)) bad(field, `must be an array of item ids, got ${describe(value)}`);
          if (value.length > MAX_ITEM_IDS) bad(field, `has ${value.length} entries; at most ${MAX_ITEM_IDS} are allowed`);
          const ids = new Array<string>(value.length);
          for (let i = 0; i < value.length; i++) {
            const id = string(value[i], `${field}[${i}]`, MAX_ID_CHARS);
            if (id === '') bad(`${field}[${i}]`, 'must not be empty', 'missing_field');
            ids[i] = id;
          }
          ev.itemIds = ids;
          break;
        }
        case 'eventTime':
        case 'eventTimeMs':
          if (time !== undefined) bad(field, 'give eventTime or eventTimeMs, not both');
          time = parseTime(value, field, key === 'eventTime' ? 'rfc3339' : 'digits');
          break;
        case 'context':
          ev.context = contextFromJson(value, path);
          break;
        case 'source': {
          const source = typeof value === 'string' ? eventSourceFromName(value) : undefined;
          if (source === undefined) bad(field, `must be one of ${EVENT_SOURCE_NAMES.join(', ')}, got ${describe(value)}`);
          ev.source = source;
          break;
        }
        case 'ingestedAtMs':
        case 'apiKeyId':
          bad(field, 'is set by ingestion; do not send it', 'unknown_field');
          break;
        default:
          bad(field, 'unknown field (field names are the proto JSON names, e.g. eventId, sessionId, itemId)', 'unknown_field');
      }
    }
    if (time === undefined) bad(join(path, 'eventTime'), 'is required (unix milliseconds or RFC 3339)', 'missing_field');
    ev.eventTimeMs = BigInt(time);
    const problem = checkEvent(ev, path, window);
    if (problem) throw new EventProblem(problem);
    return ev;
  } catch (error) {
    if (!(error instanceof EventProblem)) throw error;
    return { index, eventId: typeof ev.eventId === 'string' ? ev.eventId.slice(0, MAX_ID_CHARS) : '', ...error.problem };
  }
}

/**
 * Checks a protobuf Event (from gRPC) with the same rules as JSON events. Fields ingestion sets
 * (arrival time, API key id) must be empty; the source defaults to gRPC.
 */
export function eventFromProto(ev: Event, index: number, path: string, window: TimeWindow): Event | Rejection {
  const reject = (problem: Problem): Rejection => ({ index, eventId: ev.eventId.slice(0, MAX_ID_CHARS), ...problem });
  if (ev.ingestedAtMs !== 0n) return reject({ field: join(path, 'ingestedAtMs'), reason: 'is set by ingestion; leave it 0', code: 'invalid_field' });
  if (ev.apiKeyId !== '') return reject({ field: join(path, 'apiKeyId'), reason: 'is set by ingestion; leave it empty', code: 'invalid_field' });
  if (ev.source === EventSource.HTTP || !(ev.source in EventSource)) {
    return reject({ field: join(path, 'source'), reason: 'must be UNSPECIFIED (gRPC), TRACKER, REPLAY or SIMULATOR', code: 'invalid_field' });
  }
  if (ev.eventTimeMs === 0n) return reject({ field: join(path, 'eventTimeMs'), reason: 'is required (unix milliseconds)', code: 'missing_field' });
  const lengths: [keyof Event, number][] = [
    ['userId', MAX_ID_CHARS],
    ['anonymousId', MAX_ID_CHARS],
    ['sessionId', MAX_ID_CHARS],
    ['itemId', MAX_ID_CHARS],
    ['categoryId', MAX_ID_CHARS],
    ['recommendationId', MAX_ID_CHARS],
    ['searchQuery', MAX_SEARCH_QUERY_CHARS],
    ['reviewText', MAX_REVIEW_TEXT_CHARS],
  ];
  for (const [name, max] of lengths) {
    const value = ev[name] as string;
    if (value.length > max) return reject({ field: join(path, name), reason: `is ${value.length} characters; at most ${max} are allowed`, code: 'invalid_field' });
  }
  if (ev.itemIds.length > MAX_ITEM_IDS) {
    return reject({ field: join(path, 'itemIds'), reason: `has ${ev.itemIds.length} entries; at most ${MAX_ITEM_IDS} are allowed`, code: 'invalid_field' });
  }
  for (let i = 0; i < ev.itemIds.length; i++) {
    const id = ev.itemIds[i]!;
    if (id === '' || id.length > MAX_ID_CHARS) {
      return reject({ field: join(path, `itemIds[${i}]`), reason: id === '' ? 'must not be empty' : `is longer than ${MAX_ID_CHARS} characters`, code: 'invalid_field' });
    }
  }
  if (ev.context) {
    for (const name of CONTEXT_FIELDS) {
      if (ev.context[name].length > MAX_CONTEXT_CHARS) {
        return reject({ field: join(path, `context.${name}`), reason: `is longer than ${MAX_CONTEXT_CHARS} characters`, code: 'invalid_field' });
      }
    }
  }
  const problem = checkEvent(ev, path, window);
  if (problem) return reject(problem);
  if (ev.source === EventSource.UNSPECIFIED) ev.source = EventSource.GRPC;
  return ev;
}

/** The rules every event meets, whatever its wire format. */
export function checkEvent(ev: Event, path: string, window: TimeWindow): Problem | undefined {
  const p = (field: string, reason: string, code: RejectionCode = 'invalid_field'): Problem => ({ field: join(path, field), reason, code });
  if (ev.eventId === '') return p('eventId', 'is required (1..128 characters of A-Z a-z 0-9 _ . : -)', 'missing_field');
  if (ev.eventId.length > MAX_ID_CHARS) return p('eventId', `is ${ev.eventId.length} characters; at most ${MAX_ID_CHARS} are allowed`);
  if (!EVENT_ID.test(ev.eventId)) return p('eventId', 'may only contain A-Z a-z 0-9 _ . : -');
  if (ev.type === EventType.UNSPECIFIED) return p('type', `is required (${EVENT_TYPE_NAMES.join(', ')})`, 'missing_field');
  if (!(ev.type in EventType)) return p('type', `unknown event type ${String(ev.type)}`);
  if (ev.userId === '' && ev.anonymousId === '') return p('userId', 'userId or anonymousId is required (the shopper key)', 'missing_field');
  if (ev.sessionId === '') return p('sessionId', 'is required', 'missing_field');
  if (ev.itemId === '' && NEEDS_ITEM.has(ev.type)) return p('itemId', `is required for ${eventTypeName(ev.type)} events`, 'missing_field');
  if (ev.type === EventType.SEARCH && ev.searchQuery.trim() === '') return p('searchQuery', 'is required for search events', 'missing_field');
  if (ev.type === EventType.REVIEW && ev.reviewRating === undefined) return p('reviewRating', 'is required for review events (1..5)', 'missing_field');
  if (ev.reviewRating !== undefined && (ev.reviewRating < 1 || ev.reviewRating > 5)) return p('reviewRating', `must be 1..5, got ${ev.reviewRating}`);
  if (ev.price !== undefined) {
    if (!Number.isFinite(ev.price)) return p('price', 'must be a finite number');
    if (ev.price < 0) return p('price', `must be >= 0, got ${ev.price}`);
  }
  if (ev.quantity !== undefined && ev.quantity < 1) return p('quantity', `must be >= 1, got ${ev.quantity}`);
  if (ev.quantity !== undefined && ev.quantity > 1_000_000) return p('quantity', `must be <= 1000000, got ${ev.quantity}`);
  if (ev.currency !== '' && !CURRENCY.test(ev.currency)) return p('currency', `must be an ISO 4217 code like EUR, got ${JSON.stringify(ev.currency)}`);
  const time = Number(ev.eventTimeMs);
  const shown = Math.abs(time) < 8.64e15 ? new Date(time).toISOString() : String(time);
  if (time < window.minMs) {
    if (window.scope === 'backfill') {
      return p('eventTime', `${shown} is before 2000-01-01 (eventTime is unix milliseconds; seconds?)`, 'out_of_window');
    }
    return p(
      'eventTime',
      `${shown} is ${duration(window.nowMs - time)} before arrival; a key with the ingest scope may send events at most ${duration(window.nowMs - window.minMs)} old (use a backfill key for history)`,
      'out_of_window',
    );
  }
  if (time > window.maxMs) {
    return p('eventTime', `${shown} is ${duration(time - window.nowMs)} after arrival; at most ${duration(window.maxMs - window.nowMs)} ahead is allowed`, 'out_of_window');
  }
  return undefined;
}

export function isRejection(value: Event | Rejection): value is Rejection {
  return !('$typeName' in value);
}

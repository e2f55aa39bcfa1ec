import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  EVENT_SOURCE_NAMES,
  EVENT_TYPE_COUNT,
  EVENT_TYPE_NAMES,
  EVENT_TYPES,
  eventSourceFromName,
  eventTypeFromName,
  eventTypeName,
  isEventTypeName,
  shopperKey,
} from './event-vocabulary.js';
import { EventSource, EventType } from './gen/clickwise/v1/event_pb.js';

/** The enum values as written in the .proto source (read as text: an oracle independent of the generated code). */
function protoEnum(name: string, prefix: string): Map<string, number> {
  const proto = readFileSync(fileURLToPath(new URL('../../../proto/clickwise/v1/event.proto', import.meta.url)), 'utf8');
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(proto)?.[1];
  assert.ok(body, `enum ${name} in event.proto`);
  return new Map([...body.matchAll(new RegExp(`${prefix}(\\w+) = (\\d+);`, 'g'))].map((m) => [m[1]!.toLowerCase(), Number(m[2])]));
}

/** Numeric values of a generated TypeScript enum. */
function enumNumbers<E extends number>(e: Record<string, string | E>): E[] {
  return Object.values(e).filter((v): v is E => typeof v === 'number');
}

void describe('event type names', () => {
  void test('cover every value of the proto enum, in wire order, UNSPECIFIED aside', () => {
    const proto = protoEnum('EventType', 'EVENT_TYPE_');
    assert.equal(proto.size, 11);
    proto.delete('unspecified');
    assert.deepEqual(EVENT_TYPE_NAMES, [...proto.keys()]);
    assert.deepEqual(EVENT_TYPES, [...proto.values()]);
    assert.deepEqual(new Set(EVENT_TYPES), new Set(enumNumbers<EventType>(EventType).filter((n) => n !== EventType.UNSPECIFIED)));
    assert.equal(EVENT_TYPE_COUNT, Math.max(...enumNumbers(EventType)) + 1);
  });

  void test('round-trip: value → name → value, by snake_case and by proto name', () => {
    for (const type of EVENT_TYPES) {
      const name = eventTypeName(type);
      assert.equal(eventTypeFromName(name), type, name);
      assert.equal(eventTypeFromName(`EVENT_TYPE_${name.toUpperCase()}`), type, name);
      assert.equal(isEventTypeName(name), true, name);
      assert.equal(isEventTypeName(`EVENT_TYPE_${name.toUpperCase()}`), false, 'the proto name is accepted but is not a snake_case name');
    }
    assert.equal(eventTypeName(EventType.ADD_TO_CART), 'add_to_cart');
    assert.equal(eventTypeName(EventType.RECOMMENDATION_CLICKED), 'recommendation_clicked');
  });

  void test('unspecified, unknown numbers and other strings are no event type', () => {
    assert.equal(eventTypeName(EventType.UNSPECIFIED), 'unspecified');
    assert.equal(eventTypeName(99 as EventType), '99');
    for (const name of ['unspecified', 'EVENT_TYPE_UNSPECIFIED', '', 'Add_To_Cart', 'addtocart', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      assert.equal(eventTypeFromName(name), undefined, name);
      assert.equal(isEventTypeName(name), false, name);
    }
  });
});

void describe('event source names', () => {
  void test('every source a client may name over HTTP: all but unspecified and grpc', () => {
    const proto = protoEnum('EventSource', 'EVENT_SOURCE_');
    proto.delete('unspecified');
    proto.delete('grpc');
    assert.deepEqual(EVENT_SOURCE_NAMES, [...proto.keys()]);
    for (const [name, number] of proto) assert.equal(eventSourceFromName(name), number, name);
    assert.equal(eventSourceFromName('tracker'), EventSource.TRACKER);
  });

  void test('grpc, unspecified and inherited object keys are refused', () => {
    for (const name of ['grpc', 'unspecified', 'EVENT_SOURCE_TRACKER', 'HTTP', 'toString', 'constructor', '__proto__', 'valueOf']) {
      assert.equal(eventSourceFromName(name), undefined, name);
    }
  });
});

void describe('shopperKey', () => {
  const cases: [string, { userId?: string; anonymousId?: string }, string][] = [
    ['user id when set', { userId: 'u-1', anonymousId: 'a-1' }, 'u-1'],
    ['anonymous id when the user id is empty (proto default)', { userId: '', anonymousId: 'a-1' }, 'a-1'],
    ['anonymous id when the user id is absent (HTTP JSON)', { anonymousId: 'a-1' }, 'a-1'],
    ['user id alone', { userId: 'u-1' }, 'u-1'],
    ['empty when neither is set', { userId: '', anonymousId: '' }, ''],
    ['empty for an empty object', {}, ''],
  ];
  for (const [name, event, expected] of cases) void test(name, () => assert.equal(shopperKey(event), expected));
});

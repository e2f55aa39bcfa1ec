import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { FeatureUpdateSchema, PredictionUpdateSchema } from '@clickwise/contracts';
import { coalesce, traceIdOf } from './coalesce.js';
import { WatchHub } from './watch-hub.js';

const notice = (shopperKey: string, eventId: string, snapshotVersion: number, at: number, traceparent = '') => ({
  value: create(FeatureUpdateSchema, { shopperKey, sessionId: `s-${shopperKey}-${snapshotVersion}`, eventId, snapshotVersion: BigInt(snapshotVersion), eventTimeMs: BigInt(at), traceparent }),
  timestampMs: at + 5,
});

void describe('coalesce', () => {
  void it('scores each shopper once, listing every covered event and trace id in order', () => {
    const tp = (n: number) => `00-${n.toString(16).padStart(32, '0')}-${'1'.repeat(16)}-01`;
    const groups = coalesce([notice('a', 'e1', 1, 100, tp(1)), notice('b', 'e2', 7, 90), notice('a', 'e3', 2, 120, tp(3)), notice('a', 'e4', 3, 110, 'garbage')]);
    assert.deepEqual(groups.map((g) => g.shopperKey), ['a', 'b']);
    const [ga, gb] = groups;
    assert.deepEqual(ga!.eventIds, ['e1', 'e3', 'e4']);
    assert.deepEqual(ga!.traceIds, [tp(1).slice(3, 35), tp(3).slice(3, 35), '']);
    assert.equal(ga!.snapshotVersion, 3);
    assert.equal(ga!.newestEventTimeMs, 120);
    assert.equal(ga!.firstNoticeMs, 105);
    assert.equal(ga!.sessionId, 's-a-3');
    assert.deepEqual(gb!.eventIds, ['e2']);
  });

  void it('reads trace ids only from valid traceparents', () => {
    assert.equal(traceIdOf(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`), 'a'.repeat(32));
    assert.equal(traceIdOf(`00-${'0'.repeat(32)}-${'b'.repeat(16)}-01`), '');
    assert.equal(traceIdOf(''), '');
  });
});

void describe('WatchHub', () => {
  void it('sends each update to the watchers of its shopper and to watch-all watchers, until they leave', () => {
    const hub = new WatchHub();
    const got: Record<string, string[]> = { a: [], all: [], ab: [] };
    const offA = hub.add({ shoppers: new Set(['a']), send: (u) => got.a!.push(u.shopperKey) });
    hub.add({ shoppers: undefined, send: (u) => got.all!.push(u.shopperKey) });
    hub.add({ shoppers: new Set(['a', 'b']), send: (u) => got.ab!.push(u.shopperKey) });
    for (const k of ['a', 'b', 'c']) hub.publish(create(PredictionUpdateSchema, { shopperKey: k }));
    offA();
    offA();
    assert.equal(hub.watchers, 2);
    hub.publish(create(PredictionUpdateSchema, { shopperKey: 'a' }));
    assert.deepEqual(got, { a: ['a'], all: ['a', 'b', 'c', 'a'], ab: ['a', 'b', 'a'] });
  });
});

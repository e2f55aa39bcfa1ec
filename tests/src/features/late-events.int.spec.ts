import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { EventSchema, EventSource, EventType, type Event } from '@clickwise/contracts';
import { FeatureReader } from '@clickwise/feature-store';
import { ALLOWED_LATENESS_MS, MINUTE_MS } from '@clickwise/features';
import { rng } from '@clickwise/features/testing';
import { testInfra } from '@clickwise/testing';
import { assertParity, engine, FeaturesScope, type FeaturesProcess } from './harness.js';

const T0 = Date.UTC(2026, 2, 2, 12, 0, 0);

function view(id: string, shopper: string, atMs: number, item = 'i1'): Event {
  return create(EventSchema, {
    eventId: id,
    type: EventType.PRODUCT_VIEW,
    userId: shopper,
    sessionId: `${shopper}-s`,
    itemId: item,
    categoryId: 'c1',
    price: 10,
    eventTimeMs: BigInt(atMs),
    source: EventSource.SIMULATOR,
  });
}

/**
 * Late and out-of-order events: event times shuffled inside and beyond the allowed lateness
 * (15 min behind the partition's stream clock). Inside: counted in the bucket they belong to.
 * Beyond: in the DLQ with the reason, nowhere else. The service decides exactly as the offline
 * executor does, and the state matches.
 */
void describe('features: late and out-of-order events', () => {
  let scope: FeaturesScope;
  let service: FeaturesProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('late', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    service = await scope.start();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('a hand-made case: 12 min late is counted where it belongs, 18 min late goes to the DLQ', async () => {
    await scope.produce([
      view('h1', 'hand', T0),
      view('h2', 'hand', T0 + 20 * MINUTE_MS),
      view('h3', 'hand', T0 + 8 * MINUTE_MS, 'i2'),
      view('h4', 'hand', T0 + 2 * MINUTE_MS, 'i3'),
    ]);
    await scope.waitCaughtUp(60_000, service);
    const reader = new FeatureReader(scope.redis, engine, scope.keys);
    const snapshot = await reader.read({ shopperKey: 'hand', sessionId: 'hand-s', itemId: 'i2' });
    const value = (name: string) => snapshot.features.find((f) => f.name === name)?.value;
    assert.equal(snapshot.refMs, T0 + 20 * MINUTE_MS);
    assert.equal(value('shopper_product_view_count_1h'), 3);
    assert.equal(value('shopper_product_view_count_5m'), 1, 'the late view is 12 min back: outside the 5 min window at T');
    assert.equal(value('session_distinct_items_viewed_24h'), 2);
    assert.deepEqual(value('session_last_items_24h'), ['i1', 'i2']);
    assert.equal(value('item_views_1h'), 1);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const h4 = letters.find((l) => l.value.eventId === 'h4');
    assert.ok(h4, 'h4 is in the DLQ');
    assert.equal(h4.value.reasonCode, 'too_late');
    assert.match(h4.value.reason, /1080000 ms behind the partition's stream clock .* \(allowed lateness 900000 ms\)/);
    assert.equal(letters.filter((l) => l.value.eventId.startsWith('h')).length, 1);
  });

  void it('2,000 events with shuffled times (60% in order, 30% up to 12 min back, 10% 16–60 min back)', async () => {
    const r = rng(77);
    const events: Event[] = [];
    const inside = new Set<string>();
    let clock = T0 + 3_600_000;
    for (let i = 0; i < 2000; i++) {
      clock += Math.floor(r() * 20_000);
      const roll = r();
      const back = roll < 0.6 ? 0 : roll < 0.9 ? Math.floor(r() * 12 * MINUTE_MS) : ALLOWED_LATENESS_MS + MINUTE_MS + Math.floor(r() * 44 * MINUTE_MS);
      if (back <= 12 * MINUTE_MS) inside.add(`r${i}`);
      events.push(view(`r${i}`, `shopper-${Math.floor(r() * 12)}`, clock - back, `i${Math.floor(r() * 30)}`));
    }
    await scope.produce(events);
    await scope.waitCaughtUp(60_000, service);

    const { offline, tooLate } = await scope.offline();
    await assertParity(scope, offline);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const updates = await scope.readAll(scope.kafka.topics.featuresUpdated);
    const dead = new Set(letters.filter((l) => l.value.reasonCode === 'too_late').map((l) => l.value.eventId));
    const notified = new Set(updates.map((u) => u.value.eventId));
    // The service refused exactly what the offline executor refuses (a clock per partition).
    assert.deepEqual([...dead].sort(), [...tooLate].sort());
    for (const e of events) {
      assert.ok(dead.has(e.eventId) !== notified.has(e.eventId), `${e.eventId} is in exactly one of the DLQ and features.updated.v1`);
      // Up to 12 min behind the newest event anywhere is inside the lateness of any partition.
      if (inside.has(e.eventId)) assert.ok(notified.has(e.eventId), `${e.eventId} (inside the lateness) was applied`);
    }
    const refused = events.filter((e) => dead.has(e.eventId)).length;
    const outOfOrder = events.filter((e, i) => i > 0 && inside.has(e.eventId) && e.eventTimeMs < events[i - 1]!.eventTimeMs).length;
    assert.ok(refused > 100 && refused < 250, `${refused} refused`);
    assert.ok(outOfOrder > 300, `${outOfOrder} applied out of order`);
    console.log(`late events: ${events.length - refused} applied (${outOfOrder} of them out of order, up to 12 min back), ${refused} beyond the lateness → DLQ with the reason`);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OfflineExecutor, sameFeatureValue, toFeatureEvent, type FeatureValue } from '@clickwise/features';
import { testInfra } from '@clickwise/testing';
import { assertParity, engine, FeaturesScope, retailRocketEvents, simulatorEvents, type FeaturesProcess } from './harness.js';

/**
 * Parity: events → Kafka → the features service → Redis equals the offline executor over the
 * same topic, for every shopper, session, item and category, at the final stream time; and every
 * FeatureUpdate carries exactly the values the offline executor computes right after that event.
 */
void describe('features parity: Redis (streaming executor) = offline executor', () => {
  let scope: FeaturesScope;
  let service: FeaturesProcess | undefined;

  before(async () => {
    const infra = testInfra();
    scope = new FeaturesScope('parity', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
  });
  after(async () => {
    await service?.stop();
    await scope.dispose();
  });

  void it('the RetailRocket week (38,741 events) and a simulator run of 10,000 events of every type', async () => {
    const rr = retailRocketEvents();
    const generated = simulatorEvents(41, 10_000);
    assert.equal(rr.length, 38_741);
    assert.equal(new Set(generated.map((e) => e.type)).size, 10, 'every event type');
    // Notices with their values, to compare each with the offline vector right after its event.
    service = await scope.start({ FEATURES_NOTICE_VALUES: 'true' });
    const started = Date.now();
    await scope.produce(rr);
    await scope.waitCaughtUp(120_000, service);
    const rrMs = Date.now() - started;
    await scope.produce(generated);
    await scope.waitCaughtUp(120_000, service);
    const totalMs = Date.now() - started;

    const { offline, events } = await scope.offline();
    assert.equal(events.length, rr.length + generated.length);
    const report = await assertParity(scope, offline);
    assert.ok(report.shoppers > 10_000 && report.items > 12_000, JSON.stringify(report));

    // Every event id is in features.updated.v1 (applied) or the DLQ (too late), never both.
    const updates = await scope.readAll(scope.kafka.topics.featuresUpdated);
    const letters = await scope.readAll(scope.kafka.topics.deadLetters);
    const updated = new Set(updates.map((u) => u.value.eventId));
    const dead = new Set(letters.map((l) => l.value.eventId));
    assert.equal(letters.every((l) => l.value.reasonCode === 'too_late' && l.value.reason.includes('allowed lateness')), true);
    for (const e of events) assert.ok(updated.has(e.eventId) !== dead.has(e.eventId), `${e.eventId}: in exactly one of features.updated.v1 and the DLQ`);
    assert.equal(dead.size, offline.counts.tooLate);

    // Each notice holds what the offline executor computes right after that event.
    const firstUpdate = new Map<string, (typeof updates)[number]['value']>();
    for (const u of updates) if (!firstUpdate.has(u.value.eventId)) firstUpdate.set(u.value.eventId, u.value);
    const replay = new OfflineExecutor(engine);
    const records = await scope.readAll(scope.kafka.topics.events);
    records.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
    const names = new Map<string, { entity: 'shopper' | 'session'; index: number }>();
    for (const entity of ['shopper', 'session'] as const) engine.plans[entity].features.forEach((f, index) => names.set(f.definition.name, { entity, index }));
    let checked = 0;
    for (const r of records) {
      const result = replay.apply(toFeatureEvent(r.value), r.partition, { vector: true });
      if (result.status !== 'applied') continue;
      const update = firstUpdate.get(r.value.eventId);
      assert.ok(update, `${r.value.eventId} has a FeatureUpdate`);
      const v = result.vector!;
      assert.equal(update.snapshotVersion, BigInt(v.snapshotVersion));
      assert.equal(update.definitionsVersion, engine.version);
      for (const c of update.changed) {
        const where = names.get(c.name)!;
        const want: FeatureValue = v[where.entity][where.index]!;
        const got: FeatureValue = typeof want === 'number' ? c.value : c.list;
        assert.ok(sameFeatureValue(got, want), `${r.value.eventId} ${c.name}: notice ${JSON.stringify(got)} ≠ offline ${JSON.stringify(want)}`);
        checked++;
      }
    }
    assert.ok(checked > 500_000, `${checked} notice values checked`);
    console.log(
      `parity: ${report.shoppers} shoppers, ${report.sessions} sessions, ${report.items} items, ${report.categories} categories, ` +
        `${report.values} values equal; ${updates.length} notices (${checked} values equal to the offline vectors), ${letters.length} too late; ` +
        `RetailRocket applied in ${rrMs} ms (${Math.round((rr.length / rrMs) * 1000)} events/s incl. producing), all in ${totalMs} ms`,
    );
  });
});

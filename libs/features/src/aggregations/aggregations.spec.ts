import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureValue } from '../aggregator.js';
import type { Entity, FeatureDefinition } from '../definitions.js';
import { FeatureEngine, sameFeatureValue } from '../engine.js';
import { EVENT_TYPES, itemKeysOf, type FeatureEvent } from '../event.js';
import { bucketIndex, emptyState, type EntityState } from '../state.js';
import { naiveValue } from '../testing/naive.js';
import { randomEvents, rng } from '../testing/random-events.js';
import { windows } from '../windows.js';
import { aggregators } from './index.js';

/** Merges two states of one entity partial by partial (as two executors' states would be combined). */
function mergeStates(engine: FeatureEngine, entity: Entity, a: EntityState, b: EntityState): EntityState {
  const out = emptyState();
  out.latest = Math.max(a.latest, b.latest);
  out.events = a.events + b.events;
  for (const slot of engine.plans[entity].slots) {
    for (const from of [a, b]) {
      const series = from.series[slot.index];
      if (!series) continue;
      const into = (out.series[slot.index] ??= { k: [], v: [] });
      for (let i = 0; i < series.k.length; i++) {
        const at = bucketIndex(into, series.k[i]!, slot.partial.empty);
        into.v[at] = slot.partial.merge(into.v[at]!, series.v[i]!, slot);
      }
    }
  }
  return out;
}

/** Folds an event into a single-writer state, or (item) its shared increments into a state of that item. */
function fold(engine: FeatureEngine, entity: 'shopper' | 'item', states: Map<string, EntityState>, e: FeatureEvent): string[] {
  if (entity === 'shopper') {
    const state = states.get(e.shopperKey) ?? emptyState();
    states.set(e.shopperKey, state);
    engine.apply('shopper', state, e);
    return [e.shopperKey];
  }
  const touched: string[] = [];
  engine.sharedDeltas(e, {
    add: (kind, key, slot, bucket, index, delta) => {
      if (kind === 'item') engine.addShared('item', states.get(key)!, slot, bucket, index, delta);
    },
    touch: (kind, key, timeMs) => {
      if (kind !== 'item') return;
      const state = states.get(key) ?? emptyState();
      states.set(key, state);
      state.events++;
      state.latest = Math.max(state.latest, timeMs);
      touched.push(key);
    },
  });
  return touched;
}

const keysOfEntity = (entity: 'shopper' | 'item', e: FeatureEvent): string[] => (entity === 'shopper' ? [e.shopperKey] : itemKeysOf(e));

function check(engine: FeatureEngine, def: FeatureDefinition, state: EntityState | undefined, events: readonly FeatureEvent[], refMs: number, context: string): FeatureValue {
  const value = engine.evaluate(def.entity, state, refMs)[0]!;
  const naive = naiveValue(def, events, refMs);
  if (!sameFeatureValue(value, naive)) assert.fail(`${context} at ${refMs}: engine ${JSON.stringify(value)} ≠ naive ${JSON.stringify(naive)}`);
  return value;
}

/**
 * Every registered kind, with each of its examples, over random streams: after every event
 * (update, then the window's merge and finalize) and after folding the stream into two states at
 * random and merging them (merge), the value equals the kind's naive reference. A new kind is
 * checked as soon as it is registered.
 */
void describe('every aggregation kind against its naive reference on random input', () => {
  const windowList = Object.values(windows);
  for (const aggregator of aggregators) {
    void it(aggregator.kind, () => {
      const seen = new Set<string>();
      let cases = 0;
      for (const [x, example] of aggregator.examples.entries()) {
        for (const seed of [1, 2, 3]) {
          const r = rng(seed * 100 + x);
          const subset = EVENT_TYPES.filter(() => r() < 0.6);
          for (const types of [EVENT_TYPES, subset.length > 0 ? subset : EVENT_TYPES]) {
            const window = windowList[Math.floor(r() * windowList.length)]!;
            for (const entity of ['shopper', 'item'] as const) {
              const def: FeatureDefinition = { name: 'f', entity, aggregation: example, window, filter: { types }, description: 'under test' };
              let engine: FeatureEngine;
              try {
                engine = new FeatureEngine([def]);
              } catch (error) {
                // Kinds that need more than increments cannot describe shared entities.
                assert.equal(entity, 'item');
                assert.match(String(error), /written by many partitions/);
                continue;
              }
              cases++;
              const context = `${aggregator.kind} ${JSON.stringify(example)} ${entity} ${window.label} types ${types.join(',')} seed ${seed}`;
              const events = randomEvents({ seed, events: 300, shoppers: 2, items: 4, categories: 3, disorder: 0.2, maxBackMs: 3 * window.ms });
              const one = new Map<string, EntityState>();
              const halves = [new Map<string, EntityState>(), new Map<string, EntityState>()] as const;
              const log = new Map<string, FeatureEvent[]>();
              for (const e of events) {
                for (const key of keysOfEntity(entity, e)) log.set(key, [...(log.get(key) ?? []), e]);
                fold(engine, entity, halves[r() < 0.5 ? 0 : 1], e);
                for (const key of fold(engine, entity, one, e)) {
                  const state = one.get(key)!;
                  seen.add(JSON.stringify(check(engine, def, state, log.get(key)!, state.latest, `${context} after ${e.eventId}`)));
                }
              }
              for (const [key, all] of log) {
                const a = halves[0].get(key) ?? emptyState();
                const b = halves[1].get(key) ?? emptyState();
                const merged = mergeStates(engine, entity, a, b);
                for (const refMs of [merged.latest, merged.latest + Math.floor(r() * window.ms), merged.latest + window.ms]) {
                  check(engine, def, merged, all, refMs, `${context} merged ${key}`);
                }
              }
            }
          }
        }
      }
      assert.ok(cases > 0, 'the kind compiled for some entity');
      // The examples exercise the kind: its values vary over the streams.
      assert.ok(seen.size > 1, `${aggregator.kind}: one value only (${[...seen].join()})`);
    });
  }

  void it('registers each kind once, with at least one example, and the catalogue uses registered kinds only', async () => {
    const kinds = aggregators.map((a) => a.kind);
    assert.equal(new Set(kinds).size, kinds.length);
    for (const a of aggregators) assert.ok(a.examples.length > 0 && a.examples.every((x) => x.kind === a.kind), a.kind);
    const { featureDefinitions } = await import('../definitions.js');
    for (const d of featureDefinitions) assert.ok(kinds.includes(d.aggregation.kind), d.name);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { ExportReader, formatPresets } from '@clickwise/clickstream-files';
import { EventSchema, EventSource, eventTypeFromName, EventType } from '@clickwise/contracts';
import { OfflineExecutor, toFeatureEvent } from '@clickwise/features';
import { seededRandom } from './kmeans.js';
import { DEFAULT_SEGMENT_FEATURES, decodeSegmentsArtifact, nameSegments, rowsFromRecords, SegmentModel, trainSegments } from './segments.js';

/** n points around each centre (Gaussian, σ). */
function blobs(centres: number[][], n: number, sigma: number, seed: number): { rows: number[][]; truth: number[] } {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: number[][] = [];
  const truth: number[] = [];
  centres.forEach((c, label) => {
    for (let i = 0; i < n; i++) {
      rows.push(c.map((x) => x + sigma * gauss()));
      truth.push(label);
    }
  });
  return { rows, truth };
}

/** Share of pairs on which two labelings agree (same cluster or not): the Rand index. */
function randIndex(a: readonly number[], b: readonly number[]): number {
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < a.length; i += 3) {
    for (let j = i + 1; j < a.length; j += 3) {
      pairs++;
      if ((a[i] === a[j]) === (b[i] === b[j])) agree++;
    }
  }
  return agree / pairs;
}

void describe('trainSegments on synthetic blobs', () => {
  for (const k of [2, 3, 5]) {
    void it(`recovers k = ${k} well-separated blobs`, () => {
      const centres = Array.from({ length: k }, (_, c) => [Math.cos((2 * Math.PI * c) / k) * 10 - 20, Math.sin((2 * Math.PI * c) / k) * 10, c % 2 ? -5 : 5]);
      const { rows, truth } = blobs(centres, 120, 1, 11 + k);
      const trained = trainSegments({ features: ['x', 'y', 'z'], rows, seed: 5 });
      assert.equal(trained.quality.k, k, JSON.stringify(trained.quality.byK));
      const got = rows.map((r) => trained.model.assign(r).id);
      assert.ok(randIndex(got, truth) > 0.99, 'assignments match the blobs');
      assert.ok(trained.quality.silhouette > 0.6, `silhouette ${trained.quality.silhouette}`);
      assert.equal(new Set(trained.model.segments.map((s) => s.name)).size, k, 'names are unique');
    });
  }

  void it('rejects bad input naming what is wrong', () => {
    assert.throws(() => trainSegments({ features: ['a', 'a'], rows: [] }), /named twice/);
    assert.throws(() => trainSegments({ features: ['a'], rows: [[1, 2]] }), /row 0 has 2 values for 1 features/);
    assert.throws(() => trainSegments({ features: ['a'], rows: [[1], [2]] }), /2 rows, need at least 16/);
    assert.throws(() => new SegmentModel(new TextEncoder().encode('{"format":"x"}')), /format x/);
  });
});

void describe('nameSegments', () => {
  const features = ['shopper_add_to_cart_count_7d', 'shopper_seconds_since_last_event_30d', 'shopper_sessions_7d'];

  void it('names from the dominant z-scores, high or low by sign, at most two words', () => {
    const names = nameSegments(features, [[2, -1, 0.1], [-0.2, 0.1, -0.9], [0.1, 0.2, 0.3]]);
    assert.deepEqual(names.map((n) => n.name), ['cart-heavy, recent', 'no visit this week', 'typical shoppers']);
    assert.deepEqual(names[0]!.describedBy.map((d) => [d.feature, d.direction]), [[features[0], 'high'], [features[1], 'low']]);
  });

  void it('adds the next feature, then the id, until names are unique', () => {
    const names = nameSegments(features, [[2, 0, 0.2], [2, 0, -0.2], [2, 0, -0.2]]);
    assert.equal(new Set(names.map((n) => n.name)).size, 3);
    assert.equal(names[0]!.name, 'cart-heavy, repeat visitors');
    assert.match(names[1]!.name, /^cart-heavy, no visit this week.* #1$/);
  });
});

/** The RetailRocket week through clickstream-files and the offline executor: every shopper's features at the end. */
function retailRocketShoppers(): Record<string, number | readonly string[] | null>[] {
  const preset = formatPresets.retailrocket!;
  const reader = new ExportReader({ delimiter: preset.delimiter, mapping: preset.mapping });
  reader.push(readFileSync('/work/shared/data/retailrocket-week/events.tsv', 'utf8'));
  const { rows } = reader.finish();
  const executor = new OfflineExecutor();
  rows.forEach((r, i) => {
    const event = create(EventSchema, {
      eventId: `rr-${r.row}`,
      type: eventTypeFromName(r.type) ?? EventType.PAGE_VIEW,
      userId: r.userId ?? '',
      anonymousId: r.userId === undefined ? `session-${r.sessionId}` : '',
      sessionId: r.sessionId,
      itemId: r.itemId ?? '',
      categoryId: r.categoryId ?? '',
      eventTimeMs: BigInt(r.timeMs),
      source: EventSource.REPLAY,
    });
    assert.notEqual(executor.apply(toFeatureEvent(event)).status, 'too_late', `row ${i}`);
  });
  const at = executor.streamTimeMs;
  return [...executor.shoppers.keys()].sort().map((key) => executor.values('shopper', key, at));
}

void describe('trainSegments on the RetailRocket week', () => {
  const records = retailRocketShoppers();
  const rows = rowsFromRecords(DEFAULT_SEGMENT_FEATURES, records);

  void it('finds non-trivial segments whose names describe their centroids', () => {
    const trained = trainSegments({ features: DEFAULT_SEGMENT_FEATURES, rows, seed: 42 });
    const { quality, model } = trained;
    console.log(`${quality.shoppers} shoppers, k = ${quality.k}, silhouette ${quality.silhouette.toFixed(3)} (sample ${quality.silhouetteSample})`);
    for (const c of quality.byK) console.log(`  k=${c.k} silhouette ${c.silhouette.toFixed(3)} smallest ${(c.smallestShare * 100).toFixed(1)}%${c.eligible ? '' : ' (not eligible)'}`);
    for (const s of model.segments) {
      const z = s.centroid.map((x, j) => `${DEFAULT_SEGMENT_FEATURES[j]!.replace('shopper_', '')}=${x.toFixed(2)}`).join(' ');
      console.log(`  #${s.id} ${s.name.padEnd(36)} ${s.size} (${(s.share * 100).toFixed(1)}%)  ${z}`);
    }
    assert.ok(quality.k >= 2, 'at least two segments');
    assert.ok(quality.sizes.every((n) => n > 0), 'no empty segment');
    assert.equal(quality.sizes.reduce((a, b) => a + b, 0), records.length);
    assert.equal(new Set(model.segments.map((s) => s.name)).size, model.segments.length, 'unique names');
    for (const s of model.segments) {
      for (const d of s.describedBy) {
        const z = s.centroid[DEFAULT_SEGMENT_FEATURES.indexOf(d.feature)]!;
        assert.equal(d.direction === 'high', z >= 0, `${s.name}: ${d.feature} z ${z}`);
      }
      if (s.name !== 'typical shoppers') assert.ok(s.describedBy.length > 0 && Math.abs(s.describedBy[0]!.z) >= 0.5, s.name);
    }
    // assign() puts each shopper where training did, by record or by array.
    const sizes = new Array<number>(quality.k).fill(0);
    for (const r of records) sizes[model.assign(r).id]!++;
    assert.deepEqual(sizes, quality.sizes);
    // The artifact round-trips.
    const again = new SegmentModel(trained.artifact);
    assert.deepEqual(again.assign(rows[0]!), model.assign(rows[0]!));
    assert.equal(decodeSegmentsArtifact(trained.artifact).segments.length, quality.k);
  });

  void it('is deterministic given the seed', () => {
    const a = trainSegments({ features: DEFAULT_SEGMENT_FEATURES, rows, seed: 42 });
    const b = trainSegments({ features: DEFAULT_SEGMENT_FEATURES, rows, seed: 42 });
    assert.deepEqual(a.artifact, b.artifact);
    assert.equal(a.model.version, b.model.version);
  });
});

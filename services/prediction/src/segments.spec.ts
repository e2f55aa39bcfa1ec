import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FeatureEngine } from '@clickwise/features';
import type { ModelVersion } from '@clickwise/model-registry';
import { DEFAULT_SEGMENT_FEATURES, SEGMENTS_ARTIFACT_FORMAT, trainSegments } from '@clickwise/segments';
import { ServingSegments } from './segments.js';
import { ModelRejectedError, smokeSnapshots } from './serving-models.js';

const engine = new FeatureEngine();

function record(version: string, bytes: Uint8Array, overrides: Partial<ModelVersion> = {}): ModelVersion {
  return {
    model: 'segments', version, createdAtMs: 0, metrics: {}, featureDefinitionsVersion: engine.version, backend: 'cpu', holdoutFromMs: 0, holdoutToMs: 1, comparedToVersion: '', wonWhenPublished: true,
    artifact: { uri: '', sha256: version, sizeBytes: bytes.length, format: SEGMENTS_ARTIFACT_FORMAT, partition: 0, firstOffset: 0, endOffset: 1, chunks: 1 },
    ...overrides,
  };
}

void describe('segments in serving (libs/segments)', () => {
  void it('assigns the nearest segment of a snapshot by feature name; refuses other definitions and broken artifacts', async () => {
    // Two behaviours: browsers (many views, no carts) and buyers (carts and purchases).
    const rows = Array.from({ length: 400 }, (_, i) =>
      DEFAULT_SEGMENT_FEATURES.map((f) => (i % 2 === 0 ? (f.includes('view') || f.includes('events') ? 40 + (i % 7) : 0) : f.includes('cart') || f.includes('purchase') ? 5 + (i % 3) : 2)),
    );
    const trained = trainSegments({ features: DEFAULT_SEGMENT_FEATURES, rows, seed: 3 });
    const store = new Map([['s1', trained.artifact], ['broken', new TextEncoder().encode('{"format":"clickwise.segments.v1"}')]]);
    const segments = new ServingSegments(engine, (r) => Promise.resolve(store.get(r.version)!));
    await assert.rejects(segments.accept(record('s1', trained.artifact, { featureDefinitionsVersion: 'f0000000' })), (e: unknown) => e instanceof ModelRejectedError && e.stage === 'compatibility');
    const served = await segments.accept(record('s1', trained.artifact));
    const base = smokeSnapshots(engine)[0]!;
    const asSnapshot = (row: readonly (number | null | undefined | readonly string[])[]) => ({
      ...base,
      features: base.features.map((f) => {
        const j = DEFAULT_SEGMENT_FEATURES.indexOf(f.name);
        return j < 0 ? f : { ...f, value: row[j] as number };
      }),
    });
    for (const i of [0, 1, 2, 3]) {
      const want = trained.model.assign(rows[i]!);
      assert.deepEqual(served.assign(asSnapshot(rows[i]!)), { id: String(want.id), name: want.name });
    }
    assert.equal(served.modelVersion, 's1');
    await assert.rejects(segments.accept(record('broken', store.get('broken')!)), (e: unknown) => e instanceof ModelRejectedError && e.stage === 'load');
    assert.equal(segments.current, served, 'the served segmentation stays');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ModelVersion } from '@clickwise/model-registry';
import type { SequenceModel } from '@clickwise/recs';
import { ModelRejectedError, ServingSequence, smokeSequence } from './serving-sequence.js';

/** A plain sequence model over a fixed vocabulary: item i is followed by i+1 (the score falls with distance). */
function chain(n: number, tag = ''): SequenceModel {
  const itemIds = Array.from({ length: n }, (_, i) => `${tag}i${i}`);
  const index = new Map(itemIds.map((id, i) => [id, i]));
  const score = (prefix: readonly string[], id: string) => {
    const last = prefix.length > 0 ? (index.get(prefix.at(-1)!) ?? 0) : 0;
    return -Math.abs((index.get(id) ?? 0) - (last + 1));
  };
  return {
    itemIds,
    topK: (prefix, k, exclude) => itemIds.filter((id) => !exclude?.has(id)).map((itemId) => ({ itemId, score: score(prefix, itemId) })).sort((a, b) => b.score - a.score).slice(0, k),
    score: (prefix, ids) => Float32Array.from(ids.map((id) => score(prefix, id))),
    toArtifact: () => new TextEncoder().encode(`chain:${tag}:${n}`),
  };
}

const FORMAT = 'test-chain/1';
const formats = new Map([[FORMAT, (bytes: Uint8Array) => {
  const [kind, tag, n] = new TextDecoder().decode(bytes).split(':');
  if (kind !== 'chain') throw new Error('not a chain artifact');
  if (n === 'nan') return { ...chain(3, tag), topK: () => [{ itemId: `${tag}i0`, score: Number.NaN }] };
  return chain(Number(n), tag);
}]]);

function record(version: string, bytes: string, format = FORMAT): { record: ModelVersion; bytes: Uint8Array } {
  return {
    record: { model: 'next-item', version, createdAtMs: 0, metrics: {}, featureDefinitionsVersion: '', backend: 'cpu', holdoutFromMs: 0, holdoutToMs: 1, comparedToVersion: '', wonWhenPublished: true, artifact: { uri: '', sha256: version, sizeBytes: 0, format, partition: 0, firstOffset: 0, endOffset: 0, chunks: 1 } },
    bytes: new TextEncoder().encode(bytes),
  };
}

void describe('the served sequence model', () => {
  void it('accepts a version after load and smoke, swaps by one reference, and keeps it when the next one fails each stage', async () => {
    const artifacts = new Map<string, Uint8Array>();
    const swaps: string[] = [];
    const slot = new ServingSequence(formats, (r) => {
      const bytes = artifacts.get(r.version);
      return bytes ? Promise.resolve(bytes) : Promise.reject(new Error('no such artifact'));
    }, (e) => swaps.push(`${e.from ?? '-'}→${e.to}`));
    const add = (version: string, bytes: string, format?: string) => {
      const r = record(version, bytes, format);
      artifacts.set(version, r.bytes);
      return r.record;
    };
    assert.equal(slot.current, undefined);
    const v1 = await slot.accept(add('v1', 'chain:a:10'));
    assert.equal(v1.version, 'v1');
    assert.equal(v1.items, 10);
    assert.equal(slot.current, v1);
    const stages: [ModelVersion, string][] = [
      [add('bad-format', 'chain:a:10', 'other/1'), 'format'],
      [record('bad-read', 'x').record, 'read'],
      [add('bad-load', 'garbage'), 'load'],
      [add('bad-smoke', 'chain:a:nan'), 'smoke'],
      [add('empty', 'chain:a:0'), 'smoke'],
    ];
    for (const [r, stage] of stages) {
      await assert.rejects(slot.accept(r), (e: unknown) => e instanceof ModelRejectedError && e.stage === stage, r.version);
      assert.equal(slot.current, v1, `${r.version}: v1 stays`);
    }
    const v2 = await slot.accept(add('v2', 'chain:b:5'));
    assert.equal(slot.current, v2);
    assert.equal(await slot.accept(record('v2', '').record), v2, 'the served version again: no reload');
    assert.deepEqual(swaps, ['-→next-item/v1', 'next-item/v1→next-item/v2']);
  });

  void it('smoke: finite, distinct, descending, from the vocabulary', () => {
    smokeSequence(chain(5));
    assert.throws(() => smokeSequence({ ...chain(5), topK: () => [{ itemId: 'i1', score: 1 }, { itemId: 'i1', score: 0 }] }), /twice/);
    assert.throws(() => smokeSequence({ ...chain(5), topK: () => [{ itemId: 'zz', score: 1 }] }), /vocabulary/);
    assert.throws(() => smokeSequence({ ...chain(5), topK: () => [{ itemId: 'i1', score: 0 }, { itemId: 'i2', score: 1 }] }), /highest first/);
  });
});

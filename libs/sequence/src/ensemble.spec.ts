import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnsembleSequenceModel, loadSequenceEnsemble, SEQUENCE_ENSEMBLE_FORMAT } from './ensemble.js';
import { buildIvfIndex } from './ivf.js';
import { PureSequenceModel } from './model.js';
import { initialWeights } from './train.js';

/** A model of seeded random weights over `ids` (the math under test does not need training). */
function modelOf(ids: string[], seed: number): PureSequenceModel {
  const weights = initialWeights(ids.length, 8, 4, 12, seed);
  const probe = new PureSequenceModel(ids, weights, undefined);
  return new PureSequenceModel(ids, weights, buildIvfIndex(probe.unitItems, 8, { lists: 6, seed }), {}, { nprobe: 6 });
}

const items = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `i${from + i}`);

void describe('libs/sequence: a sequence ensemble', () => {
  const a = modelOf(items(0, 60), 1);
  const b = modelOf(items(0, 80), 2); // knows i60..i79, which a does not
  const prefixes = [['i3'], ['i5', 'i9', 'i12'], ['i40', 'i41']];

  void it('scores an item by the weighted mean of the members logits; an item a member does not know gets its lowest score among those scored', () => {
    const ensemble = new EnsembleSequenceModel([a, b], [1, 3]);
    assert.deepEqual(ensemble.weights, [0.25, 0.75]);
    assert.equal(ensemble.itemIds.length, 80, 'the union of the vocabularies');
    const ids = ['i1', 'i7', 'i70', 'i59'];
    for (const prefix of prefixes) {
      const sa = a.score(prefix, ids);
      const sb = b.score(prefix, ids);
      const floorA = Math.min(sa[0]!, sa[1]!, sa[3]!);
      const got = ensemble.score(prefix, ids);
      const want = [0.25 * sa[0]! + 0.75 * sb[0]!, 0.25 * sa[1]! + 0.75 * sb[1]!, 0.25 * floorA + 0.75 * sb[2]!, 0.25 * sa[3]! + 0.75 * sb[3]!];
      want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-5, `${prefix.join(',')} ${ids[i]}: ${got[i]} vs ${w}`));
    }
  });

  void it('a member that knows none of the prefix sits out: the others answer alone; nobody knows it: NaN and no top k', () => {
    const ensemble = new EnsembleSequenceModel([a, b]);
    const prefix = ['i65', 'i70'];
    assert.deepEqual(ensemble.score(prefix, ['i1', 'i75']), b.score(prefix, ['i1', 'i75']));
    const top = ensemble.topK(prefix, 5);
    const own = b.topK(prefix, 5);
    assert.deepEqual(top.map((t) => t.itemId), own.map((t) => t.itemId));
    top.forEach((t, i) => assert.ok(Math.abs(t.score - own[i]!.score) < 1e-5, `${t.itemId}: ${t.score} vs ${own[i]!.score}`));
    assert.ok(ensemble.score(['unknown'], ['i1']).every(Number.isNaN));
    assert.deepEqual(ensemble.topK(['unknown'], 5), []);
  });

  void it("topK ranks the union of the members' top lists by the ensemble's score, honouring exclusions", () => {
    const ensemble = new EnsembleSequenceModel([a, b], [1, 1], 3);
    for (const prefix of prefixes) {
      const top = ensemble.topK(prefix, 10, new Set(['i2']));
      assert.equal(top.length, 10);
      const union = new Set([...a.topK(prefix, 30, new Set(['i2'])), ...b.topK(prefix, 30, new Set(['i2']))].map((t) => t.itemId));
      const ids = [...union];
      const scores = ensemble.score(prefix, ids);
      const want = ids.map((itemId, i) => ({ itemId, score: scores[i]! })).sort((x, y) => y.score - x.score || (x.itemId < y.itemId ? -1 : 1)).slice(0, 10);
      assert.deepEqual(top, want);
      assert.ok(top.every((t) => t.itemId !== 'i2'));
    }
    // One member: its own top k (the union is its top 2k, scored by itself).
    const alone = new EnsembleSequenceModel([a]);
    for (const prefix of prefixes) assert.deepEqual(alone.topK(prefix, 10).map((t) => t.itemId), a.topK(prefix, 10).map((t) => t.itemId));
  });

  void it('the artifact round-trips: same answers, same bytes; another format or a truncated file is refused', () => {
    const ensemble = new EnsembleSequenceModel([a, b], [2, 1], 2.5);
    const bytes = ensemble.toArtifact();
    const back = loadSequenceEnsemble(bytes);
    assert.deepEqual(back.weights, ensemble.weights);
    assert.equal(back.overfetch, 2.5);
    assert.deepEqual(Buffer.from(back.toArtifact()), Buffer.from(bytes));
    for (const prefix of prefixes) assert.deepEqual(back.topK(prefix, 10), ensemble.topK(prefix, 10));
    const other = Uint8Array.from(bytes);
    other[0] = 0;
    assert.throws(() => loadSequenceEnsemble(other), /not a sequence ensemble artifact/);
    assert.throws(() => loadSequenceEnsemble(bytes.subarray(0, bytes.length - 8)), /truncated in member 1/);
    assert.throws(() => loadSequenceEnsemble(a.toArtifact()), /not a sequence ensemble artifact/);
    assert.equal(SEQUENCE_ENSEMBLE_FORMAT, 'clickwise-sequence-ensemble/1');
  });

  void it('refuses no members, a weight per member missing, and weights that are not positive', () => {
    assert.throws(() => new EnsembleSequenceModel([]), /no members/);
    assert.throws(() => new EnsembleSequenceModel([a, b], [1]), /1 weights for 2 members/);
    assert.throws(() => new EnsembleSequenceModel([a, b], [1, 0]), /weights must be positive/);
    assert.throws(() => new EnsembleSequenceModel([a], [1], 0.5), /overfetch 0.5/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { loadTensorflow } from '@clickwise/tf';
import { evaluatePopularity, evaluateSequenceModel, type NextItemCase } from './evaluate.js';
import { buildIvfIndex } from './ivf.js';
import { loadSequenceModel, PureSequenceModel, SEQUENCE_ARTIFACT_FORMAT } from './model.js';
import { TfSequenceNet, trainSequenceModel, type TrainSequenceOptions } from './train.js';

/**
 * Seeded sessions with structure a sequence model can learn and popularity cannot: 300 items in
 * 30 "aisles" of 10; a shopper walks forward in an aisle (i → i+1 mostly, sometimes i+2) and
 * sometimes jumps to a random item. Popular items exist (aisle 0 is visited more).
 */
function syntheticSessions(count: number, seed: number): string[][] {
  const rand = mulberry32(seed);
  const sessions: string[][] = [];
  for (let s = 0; s < count; s++) {
    const aisle = rand() < 0.3 ? 0 : Math.floor(rand() * 30);
    let pos = Math.floor(rand() * 5);
    const length = 2 + Math.floor(rand() * 6);
    const items: string[] = [];
    for (let t = 0; t < length; t++) {
      if (rand() < 0.1) items.push(`i${Math.floor(rand() * 300)}`);
      else items.push(`i${aisle * 10 + Math.min(pos, 9)}`);
      pos += rand() < 0.8 ? 1 : 2;
    }
    sessions.push(items);
  }
  return sessions;
}

function casesOf(sessions: readonly string[][]): NextItemCase[] {
  const cases: NextItemCase[] = [];
  for (const s of sessions) for (let t = 1; t < s.length; t++) cases.push({ prefix: s.slice(0, t), label: s[t]! });
  return cases;
}

const SMALL: TrainSequenceOptions = { dim: 16, maxLength: 5, batchSize: 128, negatives: 64, epochs: 4, patience: 4, learningRate: 0.01, seed: 3, ivfLists: 12, nprobe: 3 };

void describe('libs/sequence: the next-item model', async () => {
  const tf = await loadTensorflow();
  const sessions = syntheticSessions(3000, 11);
  const test = casesOf(syntheticSessions(300, 99));
  const { model, report } = await trainSequenceModel(sessions, { ...SMALL, tf });

  void it(`trains on every prefix of the earlier sessions, selects on the latest ones, and beats popularity (backend ${tf.backend})`, () => {
    assert.equal(report.backend, tf.backend);
    assert.equal(report.validationSessions, 300, 'the latest 10% of the sessions');
    assert.equal(report.trainSessions, 2700);
    const expectedExamples = sessions.slice(0, 2700).reduce((n, s) => n + s.length - 1, 0);
    assert.equal(report.trainExamples, expectedExamples, 'every prefix is an example');
    assert.ok(report.epochs.length >= 1 && report.epochs.every((e) => Number.isFinite(e.loss)));
    assert.ok(report.epochs[report.epochs.length - 1]!.loss < report.epochs[0]!.loss, 'the loss falls');
    const mine = evaluateSequenceModel(model, test);
    const pop = evaluatePopularity(sessions, test);
    assert.ok(mine.hr20 > pop.hr20 + 20, `HR@20 ${mine.hr20.toFixed(1)} vs popularity ${pop.hr20.toFixed(1)}`);
    assert.ok(mine.mrr20 > pop.mrr20 + 10, `MRR@20 ${mine.mrr20.toFixed(1)} vs popularity ${pop.mrr20.toFixed(1)}`);
  });

  void it('the pure-JS forward pass equals the TensorFlow one within 1e-4', () => {
    const w = model.weights;
    const net = new TfSequenceNet(tf.tf, model.itemIds.length, w.dim, w.maxLength, w.scale, w);
    try {
      const prefixes = test.slice(0, 64).map((c) => model.rowsOf(c.prefix));
      const padded = Int32Array.from(prefixes.flatMap((rows) => Array.from({ length: w.maxLength }, (_, p) => rows[p] ?? 0)));
      const items = tf.tf.tensor2d(padded, [prefixes.length, w.maxLength], 'int32');
      const h = net.sessionVectors(items);
      const viaTf = h.dataSync() as Float32Array;
      tf.tf.dispose([items, h]);
      let worst = 0;
      prefixes.forEach((rows, i) => {
        const js = model.forwardRows(rows);
        for (let c = 0; c < w.dim; c++) worst = Math.max(worst, Math.abs(js[c]! - viaTf[i * w.dim + c]!));
      });
      assert.ok(worst < 1e-4, `largest difference ${worst}`);
    } finally {
      net.dispose();
    }
  });

  void it('the artifact round-trips: same scores, same top k, same bytes; another format is refused', () => {
    const bytes = model.toArtifact();
    const back = loadSequenceModel(bytes);
    assert.deepEqual(back.itemIds, model.itemIds);
    assert.deepEqual(Buffer.from(back.toArtifact()), Buffer.from(bytes));
    for (const c of test.slice(0, 50)) {
      assert.deepEqual(back.score(c.prefix, model.itemIds), model.score(c.prefix, model.itemIds));
      assert.deepEqual(back.topK(c.prefix, 10), model.topK(c.prefix, 10));
    }
    const other = Uint8Array.from(bytes);
    other[0] = 0;
    assert.throws(() => loadSequenceModel(other), /not a sequence model artifact/);
    assert.throws(() => loadSequenceModel(bytes.subarray(0, bytes.length - 8)), /truncated/);
    assert.equal(SEQUENCE_ARTIFACT_FORMAT, 'clickwise-sequence/1');
  });

  void it('is deterministic: the same seed on the same backend gives the same artifact', async () => {
    const again = await trainSequenceModel(sessions, { ...SMALL, tf });
    assert.deepEqual(Buffer.from(again.model.toArtifact()), Buffer.from(model.toArtifact()));
    const other = await trainSequenceModel(sessions, { ...SMALL, tf, seed: 4 });
    assert.notDeepEqual(Buffer.from(other.model.toArtifact()), Buffer.from(model.toArtifact()));
  });

  void it('topK: best first, honours exclusions, returns prefix items, [] for a prefix of unknown items; score gives NaN for unknown', () => {
    const prefix = ['i30', 'i31', 'i32'];
    const top = model.topK(prefix, 10);
    assert.equal(top.length, 10);
    for (let i = 1; i < top.length; i++) assert.ok(top[i - 1]!.score >= top[i]!.score);
    const scores = model.score(prefix, top.map((t) => t.itemId));
    top.forEach((t, i) => assert.ok(Math.abs(t.score - scores[i]!) < 1e-5));
    const exclude = new Set(top.slice(0, 3).map((t) => t.itemId));
    const without = model.topK(prefix, 10, exclude);
    assert.ok(without.every((t) => !exclude.has(t.itemId)));
    assert.deepEqual(without.slice(0, 7), top.slice(3));
    assert.deepEqual(model.topK(['nope', 'never'], 5), []);
    const s = model.score(['i1'], ['i2', 'unknown']);
    assert.ok(Number.isFinite(s[0]!) && Number.isNaN(s[1]!));
    assert.ok(Number.isNaN(model.score(['unknown'], ['i2'])[0]!));
  });

  void it('IVF retrieval: scanning every list is the exact top k; a share of the lists keeps most of it (recall measured)', () => {
    const all = new PureSequenceModel(model.itemIds, model.weights, model.ivf.parts, {}, { nprobe: model.ivf.lists });
    for (const c of test.slice(0, 30)) assert.deepEqual(all.topK(c.prefix, 20), model.exactTopK(c.prefix, 20));
    assert.equal(report.retrieval.lists, 12);
    assert.equal(report.retrieval.nprobe, 3);
    assert.ok(report.retrieval.recallAt20 > 0.5 && report.retrieval.recallAt20 <= 1, `recall@20 ${report.retrieval.recallAt20}`);
    const parts = buildIvfIndex(model.unitItems, model.weights.dim, { lists: 12, seed: 3 });
    assert.equal(parts.offsets[parts.lists], model.itemIds.length, 'every item in one list');
    assert.deepEqual(Array.from(parts.rows).sort((a, b) => a - b), model.itemIds.map((_, r) => r));
  });

  void it('validationSessions choose the epoch while every given session trains; a warm start keeps the initial rows first and adds new items after them', async () => {
    const earlier = sessions.slice(0, 2700);
    const later = sessions.slice(2700);
    const tensorsBefore = tf.tf.memory().numTensors;
    const selected = await trainSequenceModel(earlier, { ...SMALL, tf, epochs: 2, validationSessions: later });
    assert.equal(tf.tf.memory().numTensors, tensorsBefore, 'training leaves no tensor behind');
    assert.equal(selected.report.trainSessions, 2700, 'nothing of the given sessions is held out');
    assert.equal(selected.report.validationSessions, 300);
    assert.ok(selected.report.validation.hr20 > 0);
    // New items only the refit sees: "n0".."n9" after the initial vocabulary.
    const fresh = later.map((s, i) => (i % 10 === 0 ? [...s, `n${(i / 10) % 10}`] : s));
    const refit = await trainSequenceModel([...earlier, ...fresh], { ...SMALL, tf, epochs: 1, validationFraction: 0, initial: selected.model });
    assert.deepEqual(refit.model.itemIds.slice(0, selected.model.itemIds.length), selected.model.itemIds, 'the initial items keep their rows');
    assert.ok(refit.model.itemIds.length > selected.model.itemIds.length, 'the new items are added after them');
    assert.equal(refit.report.validationSessions, 0);
    assert.equal(refit.report.epochs.length, 1);
    assert.ok(refit.report.epochs[0]!.loss < selected.report.epochs[0]!.loss, `warm start: first-epoch loss ${refit.report.epochs[0]!.loss.toFixed(3)} vs ${selected.report.epochs[0]!.loss.toFixed(3)} from scratch`);
    const mine = evaluateSequenceModel(refit.model, test);
    assert.ok(mine.hr20 > evaluatePopularity(sessions, test).hr20 + 20, `refit HR@20 ${mine.hr20.toFixed(1)}`);
    await assert.rejects(trainSequenceModel(earlier, { ...SMALL, tf, dim: 8, initial: selected.model }), /initial model has d 16/);
  });

  void it('learningRateDecay scales the rate after each epoch and a warm start continues it; dropout is seeded', async () => {
    const earlier = sessions.slice(0, 2700);
    const constant = await trainSequenceModel(earlier, { ...SMALL, tf, epochs: 2, patience: 9 });
    const decayed = await trainSequenceModel(earlier, { ...SMALL, tf, epochs: 2, patience: 9, learningRateDecay: 0.5 });
    assert.deepEqual(constant.report.epochs.map((e) => e.learningRate), [0.01, 0.01]);
    assert.deepEqual(decayed.report.epochs.map((e) => e.learningRate), [0.01, 0.005]);
    assert.equal(decayed.report.epochs[0]!.loss, constant.report.epochs[0]!.loss, 'the first epoch is the same');
    assert.notEqual(decayed.report.epochs[1]!.loss, constant.report.epochs[1]!.loss, 'the second epoch ran at the lower rate');
    assert.equal(decayed.report.bestEpoch, 2);
    const refit = await trainSequenceModel(sessions, { ...SMALL, tf, epochs: 1, validationFraction: 0, learningRateDecay: 0.5, initial: decayed.model });
    assert.deepEqual(refit.report.epochs.map((e) => e.learningRate), [0.0025], 'the refit is the third epoch of the schedule');

    const dropped = await trainSequenceModel(earlier, { ...SMALL, tf, epochs: 1, dropout: 0.3 });
    const again = await trainSequenceModel(earlier, { ...SMALL, tf, epochs: 1, dropout: 0.3 });
    const plain = await trainSequenceModel(earlier, { ...SMALL, tf, epochs: 1 });
    assert.deepEqual(Buffer.from(again.model.toArtifact()), Buffer.from(dropped.model.toArtifact()), 'dropout masks come from the seed');
    assert.ok(dropped.report.epochs[0]!.loss > plain.report.epochs[0]!.loss, 'dropped inputs make training harder');
    assert.ok(evaluateSequenceModel(dropped.model, test).hr20 > evaluatePopularity(sessions, test).hr20 + 20);
    await assert.rejects(trainSequenceModel(earlier, { ...SMALL, tf, dropout: 1 }), /dropout 1: expected a number in \[0, 1\)/);
    await assert.rejects(trainSequenceModel(earlier, { ...SMALL, tf, learningRateDecay: 0 }), /learningRateDecay 0: expected a number in \(0, 1\]/);
  });

  void it('refuses too few sessions with the reason', async () => {
    await assert.rejects(trainSequenceModel([['a'], ['b', 'c']], { ...SMALL, tf }), /too few to train the sequence model/);
  });
});

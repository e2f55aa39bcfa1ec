import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { reviewCorpus as corpusOf } from './corpus.js';
import type { LabelledText } from './data.js';
import { SentimentModel, decodeSentimentArtifact } from './sentiment.js';
import { trainSentimentModel } from './train.js';

const DIR = '/work/shared/data/reviews';
const read = (name: string) => readFileSync(`${DIR}/${name}`, 'utf8');

/** The three corpora of ../shared/data/reviews (Alexa: rating ≥ 4 positive, ≤ 2 negative, 3 left out). */
function reviewCorpus(): LabelledText[] {
  return corpusOf({ alexa: read('amazon_alexa.tsv'), amazonCells: read('amazon_cells_labelled.txt'), yelp: read('yelp_labelled.txt') });
}

const fmt = (x: number) => x.toFixed(3);

void describe('trainSentimentModel on ../shared/data/reviews', () => {
  const corpus = reviewCorpus();
  const trained = trainSentimentModel({ texts: corpus, seed: 7, backend: 'wasm' });

  void it('beats the majority class and the lexicon rule on the held-back part, per source and overall', async () => {
    const { metrics } = await trained;
    const rows = [['overall', metrics.overall] as const, ...Object.entries(metrics.bySource)];
    for (const [name, m] of rows) {
      console.log(
        `${name.padEnd(13)} n=${m.n} pos=${fmt(m.positiveShare)}  model acc ${fmt(m.model.accuracy)} auc ${fmt(m.model.rocAuc)}  ` +
          `majority acc ${fmt(m.majority.accuracy)}  lexicon acc ${fmt(m.lexicon.accuracy)} auc ${fmt(m.lexicon.rocAuc)}`,
      );
    }
    console.log(`backend ${metrics.backend}, ${metrics.trainSize} train / ${metrics.heldBackSize} held back, vocabulary ${metrics.vocabularySize}, ${metrics.seconds.toFixed(1)} s`);
    assert.deepEqual(Object.keys(metrics.bySource), ['alexa', 'amazon_cells', 'yelp']);
    assert.ok(metrics.overall.model.accuracy > metrics.overall.majority.accuracy, 'overall accuracy beats the majority class');
    assert.ok(metrics.overall.model.accuracy > metrics.overall.lexicon.accuracy, 'overall accuracy beats the lexicon');
    assert.ok(metrics.overall.model.rocAuc > metrics.overall.lexicon.rocAuc, 'overall ROC-AUC beats the lexicon');
    for (const source of ['amazon_cells', 'yelp']) {
      const m = metrics.bySource[source]!;
      assert.ok(m.model.accuracy >= 0.75, `${source} accuracy ${m.model.accuracy}`);
      assert.ok(m.model.accuracy > m.lexicon.accuracy, `${source} beats the lexicon`);
    }
    assert.ok(metrics.bySource.alexa!.model.rocAuc >= 0.85, `alexa ROC-AUC ${metrics.bySource.alexa!.model.rocAuc}`);
  });

  void it('scores by hand exactly what TensorFlow.js predicts (no tf at inference)', async () => {
    const { artifact, heldBack } = await trained;
    const model = new SentimentModel(artifact);
    let worst = 0;
    heldBack.texts.forEach((t, i) => (worst = Math.max(worst, Math.abs(model.score(t.text) - heldBack.tfScores[i]!))));
    assert.ok(worst < 1e-5, `largest difference ${worst}`);
    assert.ok(model.score('I love it, works great') > 0.8);
    assert.ok(model.score('terrible, it broke after a day and does not work') < 0.2);
    assert.ok(model.score('not good') < model.score('good'));
  });

  void it('is reproducible: the same seed gives the same artifact bytes', async () => {
    const small = corpus.filter((_, i) => i % 4 === 0);
    const a = await trainSentimentModel({ texts: small, seed: 3, epochs: 3, backend: 'wasm' });
    const b = await trainSentimentModel({ texts: small, seed: 3, epochs: 3, backend: 'wasm' });
    const c = await trainSentimentModel({ texts: small, seed: 4, epochs: 3, backend: 'wasm' });
    assert.deepEqual(a.artifact, b.artifact);
    assert.notDeepEqual(a.artifact, c.artifact);
    assert.equal(new SentimentModel(a.artifact).version, new SentimentModel(b.artifact).version);
  });

  void it('rejects a damaged artifact naming what is wrong', async () => {
    const { artifact } = await trained;
    const json = JSON.parse(new TextDecoder().decode(artifact)) as Record<string, unknown>;
    assert.throws(() => decodeSentimentArtifact(new TextEncoder().encode(JSON.stringify({ ...json, weights: [1] }))), /weights must be \d+ finite numbers/);
    assert.throws(() => decodeSentimentArtifact(new TextEncoder().encode(JSON.stringify({ ...json, format: 'x' }))), /format x/);
    assert.throws(() => decodeSentimentArtifact(new Uint8Array([0xff, 0x00])), /not UTF-8 JSON/);
  });

  void it('refuses too few texts', async () => {
    await assert.rejects(trainSentimentModel({ texts: corpus.slice(0, 3) }), /3 labelled texts, need at least 10/);
  });
});

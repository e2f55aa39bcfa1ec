import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildIvfIndex, EnsembleSequenceModel, initialWeights, PureSequenceModel, SEQUENCE_ARTIFACT_FORMAT, SEQUENCE_ENSEMBLE_FORMAT } from '@clickwise/sequence';
import { sequenceFormats } from './sequence-formats.js';

function modelOf(ids: string[], seed: number): PureSequenceModel {
  const weights = initialWeights(ids.length, 8, 4, 12, seed);
  const probe = new PureSequenceModel(ids, weights, undefined);
  return new PureSequenceModel(ids, weights, buildIvfIndex(probe.unitItems, 8, { lists: 4, seed }), {}, { nprobe: 4 });
}

void describe('recommender: the sequence-model formats it serves', () => {
  void it('loads a single model and an ensemble from their artifacts, answering as the models they were written from', () => {
    const ids = Array.from({ length: 40 }, (_, i) => `i${i}`);
    const single = modelOf(ids, 1);
    const ensemble = new EnsembleSequenceModel([single, modelOf(ids, 2)]);
    const formats = sequenceFormats();
    assert.deepEqual([...formats.keys()], [SEQUENCE_ARTIFACT_FORMAT, SEQUENCE_ENSEMBLE_FORMAT]);
    for (const [format, model] of [[SEQUENCE_ARTIFACT_FORMAT, single], [SEQUENCE_ENSEMBLE_FORMAT, ensemble]] as const) {
      const served = formats.get(format)!(model.toArtifact());
      assert.deepEqual(served.topK(['i3', 'i4'], 5), model.topK(['i3', 'i4'], 5), format);
    }
    assert.throws(() => formats.get(SEQUENCE_ENSEMBLE_FORMAT)!(single.toArtifact()), /not a sequence ensemble artifact/);
  });
});

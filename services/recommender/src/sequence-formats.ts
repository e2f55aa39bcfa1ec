import type { SequenceModel } from '@clickwise/recs';
import { loadSequenceEnsemble, loadSequenceModel, SEQUENCE_ARTIFACT_FORMAT, SEQUENCE_ENSEMBLE_FORMAT } from '@clickwise/sequence';

/**
 * Every sequence-model artifact format this service serves, by `ModelVersion.artifact.format`
 * (as prediction's loaders.ts). libs/sequence's pure-JS inference: no TensorFlow at serving time.
 * An ensemble (ADR 0088) is its members' artifacts in one.
 */
export function sequenceFormats(): ReadonlyMap<string, (bytes: Uint8Array) => SequenceModel> {
  return new Map<string, (bytes: Uint8Array) => SequenceModel>([
    [SEQUENCE_ARTIFACT_FORMAT, (bytes) => loadSequenceModel(bytes)],
    [SEQUENCE_ENSEMBLE_FORMAT, (bytes) => loadSequenceEnsemble(bytes)],
  ]);
}

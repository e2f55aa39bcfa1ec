import type { SequenceModel } from '@clickwise/recs';
import { loadSequenceModel, SEQUENCE_ARTIFACT_FORMAT } from '@clickwise/sequence';

/**
 * Every sequence-model artifact format this service serves, by `ModelVersion.artifact.format`
 * (as prediction's loaders.ts). libs/sequence's pure-JS inference: no TensorFlow at serving time.
 */
export function sequenceFormats(): ReadonlyMap<string, (bytes: Uint8Array) => SequenceModel> {
  return new Map([[SEQUENCE_ARTIFACT_FORMAT, (bytes: Uint8Array) => loadSequenceModel(bytes)]]);
}

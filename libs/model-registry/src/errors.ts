import { ClickwiseError } from '@clickwise/errors';

/** A model trained on other feature definitions than the ones this service serves. */
export class IncompatibleModelError extends ClickwiseError {
  readonly code = 'incompatible_model';
  readonly retriable = false;
}

/** An artifact's bytes do not match its checksum (a chunk, the whole, or the local cache's copy). */
export class CorruptArtifactError extends ClickwiseError {
  readonly code = 'corrupt_artifact';
  readonly retriable = false;
}

/** An artifact's chunks are not (all) on models.artifacts.v1. */
export class MissingArtifactError extends ClickwiseError {
  readonly code = 'missing_artifact';
  readonly retriable = false;
}

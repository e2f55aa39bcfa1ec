/** Where a model's artifact is and how to check it (ADR 0056). */
export interface ArtifactRef {
  /** kafka://models.artifacts.v1/<sha256> (the catalogue name; the registry adds its topic prefix). */
  uri: string;
  /** SHA-256 of the bytes, lowercase hex. */
  sha256: string;
  sizeBytes: number;
  /** What the bytes are and the version of that layout ("tfjs-layers/1", ...): the loader's business. */
  format: string;
  /** Partition of models.artifacts.v1 and the offset range [firstOffset, endOffset) that holds the chunks. */
  partition: number;
  firstOffset: number;
  endOffset: number;
  chunks: number;
}

/** One published version of a model (the record under `<model>/<version>`; never changes once written). */
export interface ModelVersion {
  model: string;
  version: string;
  createdAtMs: number;
  /** Hold-out metrics by name ("roc_auc", "pr_auc", "log_loss", "ece", "hr@20", ...). */
  metrics: Record<string, number>;
  /** The feature definitions version it was trained on ('' for a model that reads no feature definitions). */
  featureDefinitionsVersion: string;
  /** The TensorFlow.js backend it was trained with ("tensorflow", "wasm", "cpu"). */
  backend: string;
  holdoutFromMs: number;
  holdoutToMs: number;
  /** The champion it was compared against when published ('' when none). */
  comparedToVersion: string;
  /** Whether it won that comparison (or was forced) when published. The pointer says who is champion now. */
  wonWhenPublished: boolean;
  artifact: ArtifactRef;
}

/** A model's champion now: its version record and the pointer's promotion fields (the record under `<model>/champion`). */
export interface Champion extends ModelVersion {
  /** Earlier champions, the latest first: `rollback` goes back to the first. */
  previousChampions: string[];
  promotedAtMs: number;
  /** Who made it champion ("trainer", "cli:<user>", ...). */
  promotedBy: string;
  /** Why ("roc_auc 0.87 beats 0.85 of …", "forced by the operator", "rollback from …"). */
  reason: string;
}

// The public API of libs/model-registry (ADR 0056, 0057).
export { ModelRegistry, CHAMPION_HISTORY, type ModelRegistryOptions, type PublishInput, type PublishOptions, type Unwatch } from './registry.js';
export type { ArtifactRef, Champion, ModelVersion } from './types.js';
export { decideChampion, metricDirection, type ChampionDecision, type ChampionDecisionOptions, type MeasuredModel, type MetricDirection } from './champion.js';
export { assertCompatible, isCompatible } from './compat.js';
export { CorruptArtifactError, IncompatibleModelError, MissingArtifactError } from './errors.js';
export { assertModelName, assertVersionName, championKey, compareVersions, generateVersion, versionKey } from './names.js';
export { ArtifactStore, artifactUri, assembleArtifact, chunkRecords, CHUNK_BYTES, parseArtifactUri, sha256Hex, type ArtifactStoreOptions, type WrittenArtifact } from './artifacts.js';
export { ModelRejectedError, ServingConnection, type RejectionStage, type ServingSettings } from './serving.js';

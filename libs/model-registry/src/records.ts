import { create } from '@bufbuild/protobuf';
import { ModelPublishedSchema, type ModelPublished } from '@clickwise/contracts';
import type { Champion, ModelVersion } from './types.js';

/** A version record as the registry hands it out. */
export function versionOf(value: ModelPublished): ModelVersion {
  return {
    model: value.model,
    version: value.version,
    createdAtMs: Number(value.createdAtMs),
    metrics: { ...value.metrics },
    featureDefinitionsVersion: value.featureDefinitionsVersion,
    backend: value.backend,
    holdoutFromMs: Number(value.holdoutFromMs),
    holdoutToMs: Number(value.holdoutToMs),
    comparedToVersion: value.comparedToVersion,
    wonWhenPublished: value.champion,
    artifact: {
      uri: value.artifactUri,
      sha256: value.artifactSha256,
      sizeBytes: Number(value.artifactSizeBytes),
      format: value.artifactFormat,
      partition: value.artifactPartition,
      firstOffset: Number(value.artifactFirstOffset),
      endOffset: Number(value.artifactEndOffset),
      chunks: value.artifactChunks,
    },
  };
}

/** A champion pointer as the registry hands it out. */
export function championOf(value: ModelPublished): Champion {
  return {
    ...versionOf(value),
    previousChampions: [...value.previousChampions],
    promotedAtMs: Number(value.promotedAtMs),
    promotedBy: value.promotedBy,
    reason: value.promotionReason,
  };
}

/** The models.published.v1 value of a version record. */
export function versionRecord(v: ModelVersion): ModelPublished {
  return create(ModelPublishedSchema, {
    model: v.model,
    version: v.version,
    createdAtMs: BigInt(v.createdAtMs),
    metrics: { ...v.metrics },
    artifactUri: v.artifact.uri,
    featureDefinitionsVersion: v.featureDefinitionsVersion,
    holdoutFromMs: BigInt(v.holdoutFromMs),
    holdoutToMs: BigInt(v.holdoutToMs),
    comparedToVersion: v.comparedToVersion,
    champion: v.wonWhenPublished,
    artifactSha256: v.artifact.sha256,
    artifactSizeBytes: BigInt(v.artifact.sizeBytes),
    artifactFormat: v.artifact.format,
    backend: v.backend,
    artifactPartition: v.artifact.partition,
    artifactFirstOffset: BigInt(v.artifact.firstOffset),
    artifactEndOffset: BigInt(v.artifact.endOffset),
    artifactChunks: v.artifact.chunks,
  });
}

/** The models.published.v1 value of a champion pointer: the version's record plus the promotion. */
export function championRecord(c: Champion): ModelPublished {
  const value = versionRecord(c);
  value.previousChampions = [...c.previousChampions];
  value.promotedAtMs = BigInt(c.promotedAtMs);
  value.promotedBy = c.promotedBy;
  value.promotionReason = c.reason;
  return value;
}

import type { FeatureSnapshot } from '@clickwise/feature-store';
import type { FeatureEngine } from '@clickwise/features';
import { assertCompatible, type ModelVersion } from '@clickwise/model-registry';
import { SEGMENTS_ARTIFACT_FORMAT, SegmentModel, type FeatureInput } from '@clickwise/segments';
import type { SegmentAssigner } from './predictor.js';
import { ModelRejectedError, smokeSnapshots } from './serving-models.js';

/** libs/segments' nearest-centroid model over a snapshot's features by name (ADR 0059). */
export class ServedSegments implements SegmentAssigner {
  constructor(
    readonly modelVersion: string,
    private readonly model: SegmentModel,
  ) {}

  assign(features: FeatureSnapshot): { id: string; name: string } {
    const record: Record<string, FeatureInput> = {};
    for (const name of this.model.features) record[name] = undefined;
    for (const f of features.features) if (f.name in record) record[f.name] = f.value;
    const { id, name } = this.model.assign(record);
    return { id: String(id), name };
  }
}

/**
 * The segmentation in serving: the champion of the segments model, swapped as the propensity
 * model is (ADR 0070): compatibility, read, load, a smoke assignment, then one reference.
 */
export class ServingSegments {
  private served: ServedSegments | undefined;
  private servedVersion: string | undefined;
  private readonly smoke: FeatureSnapshot[];

  constructor(
    private readonly engine: FeatureEngine,
    private readonly readArtifact: (record: ModelVersion) => Promise<Uint8Array>,
  ) {
    this.smoke = smokeSnapshots(engine);
  }

  get current(): ServedSegments | undefined {
    return this.served;
  }

  async accept(record: ModelVersion): Promise<ServedSegments> {
    const id = `${record.model}/${record.version}`;
    if (this.served && this.servedVersion === id) return this.served;
    try {
      assertCompatible(record, this.engine.version);
    } catch (error) {
      throw new ModelRejectedError(id, 'compatibility', error);
    }
    if (record.artifact.format !== SEGMENTS_ARTIFACT_FORMAT) {
      throw new ModelRejectedError(id, 'load', new Error(`artifact format "${record.artifact.format}" is not ${SEGMENTS_ARTIFACT_FORMAT}`));
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.readArtifact(record);
    } catch (error) {
      throw new ModelRejectedError(id, 'read', error);
    }
    let candidate: ServedSegments;
    try {
      const model = new SegmentModel(bytes);
      const unknown = model.features.filter((f) => !this.smoke[0]!.features.some((s) => s.name === f));
      if (unknown.length > 0) throw new Error(`features not in the served definitions: ${unknown.join(', ')}`);
      candidate = new ServedSegments(record.version, model);
    } catch (error) {
      throw new ModelRejectedError(id, 'load', error);
    }
    try {
      for (const s of this.smoke) {
        const a = candidate.assign(s);
        if (a.name === '') throw new Error('a smoke input got an unnamed segment');
      }
    } catch (error) {
      throw new ModelRejectedError(id, 'smoke', error);
    }
    this.served = candidate;
    this.servedVersion = id;
    return candidate;
  }
}

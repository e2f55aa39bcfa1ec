import { ModelRejectedError, type ModelVersion } from '@clickwise/model-registry';
import type { SequenceModel } from '@clickwise/recs';

/** Why a version was refused (libs/model-registry); the model served before it stays. */
export { ModelRejectedError };

/** The sequence model in serving, with the registry version it came from. */
export interface ServedSequence {
  readonly model: string;
  readonly version: string;
  readonly sequence: SequenceModel;
  readonly items: number;
}

export interface SwapEvent {
  from: string | undefined;
  to: string;
  loadMs: number;
  served: ServedSequence;
}

/**
 * Throws unless the model answers sensibly: top-k after a known item and after an empty prefix,
 * each at most k distinct items from its vocabulary with finite scores, highest first.
 */
export function smokeSequence(sequence: SequenceModel): void {
  if (sequence.itemIds.length === 0) throw new Error('the model knows no items');
  const vocabulary = new Set(sequence.itemIds);
  for (const prefix of [[sequence.itemIds[0]!], []]) {
    const top = sequence.topK(prefix, 5);
    if (top.length > 5) throw new Error(`topK(5) gave ${top.length} items`);
    if (new Set(top.map((t) => t.itemId)).size !== top.length) throw new Error('topK gave an item twice');
    for (let i = 0; i < top.length; i++) {
      const t = top[i]!;
      if (!vocabulary.has(t.itemId)) throw new Error(`topK gave ${t.itemId}, not in the vocabulary`);
      if (!Number.isFinite(t.score)) throw new Error(`score of ${t.itemId} is ${t.score}`);
      if (i > 0 && t.score > top[i - 1]!.score) throw new Error('topK is not highest first');
    }
  }
}

/**
 * The next-item champion in serving, as one reference (the prediction service's ServingModels,
 * ADR 0070): `accept` checks a registry version (artifact format, bytes, loader, smoke answers)
 * entirely off to the side and only then swaps the reference in one assignment; a version that
 * fails any step is refused and the old model keeps serving. A request reads `current` once, so
 * no list mixes two models.
 */
export class ServingSequence {
  private served: ServedSequence | undefined;

  constructor(
    private readonly formats: ReadonlyMap<string, (bytes: Uint8Array) => SequenceModel>,
    private readonly readArtifact: (record: ModelVersion) => Promise<Uint8Array>,
    private readonly onSwap: (event: SwapEvent) => void = () => undefined,
  ) {}

  get current(): ServedSequence | undefined {
    return this.served;
  }

  async accept(record: ModelVersion): Promise<ServedSequence> {
    const id = `${record.model}/${record.version}`;
    if (this.served && this.served.model === record.model && this.served.version === record.version) return this.served;
    const started = performance.now();
    const load = this.formats.get(record.artifact.format);
    if (!load) throw new ModelRejectedError(id, 'format', new Error(`artifact format "${record.artifact.format}" is not one this service loads (${[...this.formats.keys()].join(', ') || 'none'})`));
    let bytes: Uint8Array;
    try {
      bytes = await this.readArtifact(record);
    } catch (error) {
      throw new ModelRejectedError(id, 'read', error);
    }
    let sequence: SequenceModel;
    try {
      sequence = load(bytes);
    } catch (error) {
      throw new ModelRejectedError(id, 'load', error);
    }
    try {
      smokeSequence(sequence);
    } catch (error) {
      throw new ModelRejectedError(id, 'smoke', error);
    }
    const from = this.served;
    this.served = { model: record.model, version: record.version, sequence, items: sequence.itemIds.length };
    this.onSwap({ from: from && `${from.model}/${from.version}`, to: id, loadMs: performance.now() - started, served: this.served });
    return this.served;
  }
}

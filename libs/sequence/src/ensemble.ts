import { loadSequenceModel, type PureSequenceModel, type SequenceModel } from './model.js';

export const SEQUENCE_ENSEMBLE_FORMAT = 'clickwise-sequence-ensemble/1';
const MAGIC = 'CWSQE\u0001';

/**
 * Several next-item models answering as one (ADR 0088): an item's score is the weighted mean of
 * the members' logits. Every member scores with the same scale on cosines, and a member's log-softmax
 * differs from its logits by one number per prefix, so the mean of logits ranks as the mean of
 * log-probabilities does.
 *
 * A member that does not know an item gives it its lowest score among the items being scored; a
 * member that knows none of the prefix sits the request out (the others' weights are renormalised).
 * `topK` asks every member for its top `k · overfetch` (retrieval, each on its own IVF index) and
 * ranks their union by the mean, so an item one member ranks just outside its own k can still
 * make the list.
 */
export class EnsembleSequenceModel implements SequenceModel {
  readonly itemIds: readonly string[];
  readonly weights: readonly number[];

  constructor(
    readonly members: readonly PureSequenceModel[],
    weights?: readonly number[],
    readonly overfetch = 2,
  ) {
    if (members.length === 0) throw new Error('sequence ensemble: no members');
    const w = weights ?? members.map(() => 1);
    if (w.length !== members.length) throw new Error(`sequence ensemble: ${w.length} weights for ${members.length} members`);
    if (w.some((x) => !(x > 0) || !Number.isFinite(x))) throw new Error(`sequence ensemble: weights must be positive numbers, got ${JSON.stringify(w)}`);
    if (!(overfetch >= 1)) throw new Error(`sequence ensemble: overfetch ${overfetch} must be at least 1`);
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    const ids = new Set<string>();
    for (const m of members) for (const id of m.itemIds) ids.add(id);
    this.itemIds = [...ids];
  }

  score(prefix: readonly string[], itemIds: readonly string[]): Float32Array {
    const out = new Float32Array(itemIds.length);
    let weightSum = 0;
    this.members.forEach((m, i) => {
      const s = m.score(prefix, itemIds);
      let floor = Infinity;
      for (const v of s) if (v < floor) floor = v; // NaN never compares below
      if (floor === Infinity) return; // this member knows none of the prefix or none of the items
      const w = this.weights[i]!;
      weightSum += w;
      for (let j = 0; j < s.length; j++) out[j]! += w * (Number.isNaN(s[j]!) ? floor : s[j]!);
    });
    if (weightSum === 0) return out.fill(Number.NaN);
    for (let j = 0; j < out.length; j++) out[j] = out[j]! / weightSum;
    return out;
  }

  topK(prefix: readonly string[], k: number, exclude?: ReadonlySet<string>): { itemId: string; score: number }[] {
    if (k <= 0) return [];
    const fetch = Math.ceil(k * this.overfetch);
    const union = new Set<string>();
    for (const m of this.members) for (const t of m.topK(prefix, fetch, exclude)) union.add(t.itemId);
    if (union.size === 0) return [];
    const ids = [...union];
    const scores = this.score(prefix, ids);
    return ids
      .map((itemId, i) => ({ itemId, score: scores[i]! }))
      .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
      .slice(0, k);
  }

  /**
   * Artifact layout: the 6 bytes "CWSQE\x01", a little-endian uint32 header length, the UTF-8 JSON
   * header (format, weights, overfetch, each member's byte length), zero padding to a multiple of
   * 4, then each member's own `clickwise-sequence/1` artifact, each padded to a multiple of 4.
   */
  toArtifact(): Uint8Array {
    const parts = this.members.map((m) => m.toArtifact());
    const header = new TextEncoder().encode(
      JSON.stringify({ format: SEQUENCE_ENSEMBLE_FORMAT, weights: this.weights, overfetch: this.overfetch, members: parts.map((p) => p.length) }),
    );
    const start = align4(MAGIC.length + 4 + header.length);
    const out = new Uint8Array(start + parts.reduce((n, p) => n + align4(p.length), 0));
    for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
    new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
    out.set(header, MAGIC.length + 4);
    let at = start;
    for (const p of parts) {
      out.set(p, at);
      at += align4(p.length);
    }
    return out;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Reads an artifact of `EnsembleSequenceModel.toArtifact`; refuses another format or a truncated file. */
export function loadSequenceEnsemble(bytes: Uint8Array): EnsembleSequenceModel {
  if (bytes.length < MAGIC.length + 4) throw new Error('not a sequence ensemble artifact: too short');
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw new Error(`not a sequence ensemble artifact (expected the magic bytes of ${SEQUENCE_ENSEMBLE_FORMAT})`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (MAGIC.length + 4 + headerLength > bytes.length) throw new Error('sequence ensemble artifact truncated in its header');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as {
    format: string;
    weights: number[];
    overfetch: number;
    members: number[];
  };
  if (header.format !== SEQUENCE_ENSEMBLE_FORMAT) throw new Error(`unsupported sequence ensemble format ${header.format} (this build reads ${SEQUENCE_ENSEMBLE_FORMAT})`);
  let at = align4(MAGIC.length + 4 + headerLength);
  const members = header.members.map((length, i) => {
    if (at + length > bytes.length) throw new Error(`sequence ensemble artifact truncated in member ${i}`);
    const member = loadSequenceModel(bytes.subarray(at, at + length));
    at += align4(length);
    return member;
  });
  return new EnsembleSequenceModel(members, header.weights, header.overfetch);
}

/** Several trained models as one (the `--sequence` module seam of `evaluate recs --sequence-ensemble`). */
export function ensembleSequenceModels(members: readonly PureSequenceModel[], weights?: readonly number[]): EnsembleSequenceModel {
  return new EnsembleSequenceModel(members, weights);
}

import { createHash } from 'node:crypto';
import { kMeans, nearest, seededRandom, silhouette } from './kmeans.js';

/**
 * Shopper segments: k-means over standardised behaviour features (ADR 0059).
 *
 * - Input: rows of named feature values (the offline executor's shopper features, or any numbers).
 *   A missing value (null, undefined, NaN, a list) reads as the feature's mean (z = 0).
 * - Standardisation: a feature that is never negative is log1p-transformed first (counts and
 *   durations are heavy-tailed), then every feature is z-scored (a constant one has σ = 1).
 * - k-means++ seeding, Lloyd iterations, `restarts` runs per k, least inertia kept; seeded.
 * - k in kMin..kMax (2..8): the largest mean silhouette on a seeded sample of at most
 *   `silhouetteSample` shoppers, among the k whose every segment holds at least
 *   `minSegmentShare` of the shoppers (ties: the smaller k).
 * - Names: from the centroid's z-scores (see `nameSegments`).
 */
export const SEGMENTS_FORMAT = 'clickwise.segments.v1';

/** Words for a feature's high and low values in a segment name. */
export interface Descriptor {
  high: string;
  low: string;
}

/** Readable words for the shopper features segments are usually built from. */
export const DEFAULT_DESCRIPTORS: Readonly<Record<string, Descriptor>> = {
  shopper_events_7d: { high: 'very active', low: 'inactive' },
  shopper_product_view_count_7d: { high: 'heavy browsers', low: 'light browsers' },
  shopper_add_to_cart_count_7d: { high: 'cart-heavy', low: 'no carts' },
  shopper_purchase_count_7d: { high: 'buyers', low: 'non-buyers' },
  shopper_sessions_7d: { high: 'repeat visitors', low: 'no visit this week' },
  shopper_distinct_items_viewed_7d: { high: 'wide explorers', low: 'narrow focus' },
  shopper_distinct_categories_viewed_7d: { high: 'many categories', low: 'one category' },
  shopper_seconds_since_last_event_30d: { high: 'lapsed', low: 'recent' },
  shopper_view_to_cart_rate_7d: { high: 'quick to cart', low: 'rarely carts' },
  shopper_cart_to_purchase_rate_30d: { high: 'converting carts', low: 'abandoned carts' },
  shopper_viewed_price_mean_7d: { high: 'premium', low: 'budget' },
};

/** The features segments are built from by default (all in the catalogue of libs/features). */
export const DEFAULT_SEGMENT_FEATURES: readonly string[] = [
  'shopper_events_7d',
  'shopper_product_view_count_7d',
  'shopper_add_to_cart_count_7d',
  'shopper_purchase_count_7d',
  'shopper_sessions_7d',
  'shopper_distinct_items_viewed_7d',
  'shopper_seconds_since_last_event_30d',
];

/** |z| from which a centroid coordinate counts as dominant behaviour. */
export const DOMINANT_Z = 0.5;
/** Descriptors a name takes at most (before uniqueness needs more). */
export const NAME_TERMS = 2;

export interface FeatureScaling {
  name: string;
  /** log1p before z-scoring. */
  log: boolean;
  mean: number;
  std: number;
}

export interface SegmentInfo {
  id: number;
  name: string;
  size: number;
  share: number;
  /** Centroid z-score per feature (the artifact's feature order). */
  centroid: number[];
  /** The features the name says, with the side it says. */
  describedBy: { feature: string; direction: 'high' | 'low'; z: number }[];
}

export interface SegmentsArtifact {
  format: typeof SEGMENTS_FORMAT;
  features: FeatureScaling[];
  segments: SegmentInfo[];
  quality: SegmentQuality;
}

export interface SegmentQuality {
  k: number;
  /** Mean silhouette of the chosen k on the sample. */
  silhouette: number;
  shoppers: number;
  silhouetteSample: number;
  inertia: number;
  sizes: number[];
  /** The criterion per k tried: silhouette, smallest segment share, whether eligible. */
  byK: { k: number; silhouette: number; smallestShare: number; eligible: boolean; inertia: number }[];
  seed: number;
}

export type FeatureInput = number | null | undefined | readonly string[];

export interface TrainSegmentsOptions {
  /** Feature names, the order of every row. */
  features: readonly string[];
  rows: readonly (readonly FeatureInput[])[];
  seed?: number;
  kMin?: number;
  kMax?: number;
  restarts?: number;
  silhouetteSample?: number;
  minSegmentShare?: number;
  descriptors?: Readonly<Record<string, Descriptor>>;
}

export interface TrainedSegments {
  artifact: Uint8Array;
  model: SegmentModel;
  quality: SegmentQuality;
}

function numeric(x: FeatureInput): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : Number.NaN;
}

function fitScaling(features: readonly string[], rows: readonly (readonly FeatureInput[])[]): FeatureScaling[] {
  return features.map((name, j) => {
    const xs = rows.map((r) => numeric(r[j])).filter((x) => !Number.isNaN(x));
    const log = xs.length > 0 && xs.every((x) => x >= 0);
    const ts = log ? xs.map(Math.log1p) : xs;
    const mean = ts.length === 0 ? 0 : ts.reduce((a, b) => a + b, 0) / ts.length;
    const variance = ts.length === 0 ? 0 : ts.reduce((a, b) => a + (b - mean) ** 2, 0) / ts.length;
    const std = Math.sqrt(variance);
    return { name, log, mean, std: std > 1e-12 ? std : 1 };
  });
}

/** A row in standardised space (missing values at the mean: 0). */
export function standardise(scaling: readonly FeatureScaling[], row: readonly FeatureInput[]): Float64Array {
  const out = new Float64Array(scaling.length);
  for (let j = 0; j < scaling.length; j++) {
    const s = scaling[j]!;
    const x = numeric(row[j]);
    if (Number.isNaN(x)) continue;
    const t = s.log ? Math.log1p(Math.max(0, x)) : x;
    out[j] = (t - s.mean) / s.std;
  }
  return out;
}

function describe(feature: string, z: number, descriptors: Readonly<Record<string, Descriptor>>): string {
  const d = descriptors[feature];
  const pretty = feature.replace(/^shopper_/, '').replace(/_/g, ' ');
  if (z >= 0) return d?.high ?? `high ${pretty}`;
  return d?.low ?? `low ${pretty}`;
}

/**
 * Names segments from their centroids' z-scores, deterministically:
 * 1. a segment's features are ranked by |z| (ties: feature order); the name joins the words
 *    (`Descriptor`) of its top NAME_TERMS features with |z| ≥ DOMINANT_Z, high or low by the sign;
 *    with none, it is "typical shoppers";
 * 2. while two segments share a name, each of them adds its next-ranked feature's word (any |z|);
 * 3. if the features run out, the id is appended ("… #2").
 */
export function nameSegments(
  features: readonly string[],
  centroids: readonly ArrayLike<number>[],
  descriptors: Readonly<Record<string, Descriptor>> = DEFAULT_DESCRIPTORS,
): { name: string; describedBy: SegmentInfo['describedBy'] }[] {
  const ranked = centroids.map((c) =>
    features.map((_, j) => j).sort((a, b) => Math.abs(c[b]!) - Math.abs(c[a]!) || a - b),
  );
  const taken = centroids.map((c, s) => Math.min(NAME_TERMS, ranked[s]!.filter((j) => Math.abs(c[j]!) >= DOMINANT_Z).length));
  const nameOf = (s: number): string => {
    if (taken[s] === 0) return 'typical shoppers';
    return ranked[s]!.slice(0, taken[s]).map((j) => describe(features[j]!, centroids[s]![j]!, descriptors)).join(', ');
  };
  const suffix = new Array<boolean>(centroids.length).fill(false);
  for (;;) {
    const names = centroids.map((_, s) => nameOf(s) + (suffix[s] ? ` #${s}` : ''));
    const dupes = new Set(names.filter((n, i) => names.indexOf(n) !== i));
    if (dupes.size === 0) {
      return names.map((name, s) => ({
        name,
        describedBy: ranked[s]!.slice(0, taken[s]).map((j) => {
          const z = centroids[s]![j]!;
          return { feature: features[j]!, direction: z >= 0 ? ('high' as const) : ('low' as const), z };
        }),
      }));
    }
    names.forEach((n, s) => {
      if (!dupes.has(n)) return;
      if (taken[s]! < features.length) taken[s]!++;
      else suffix[s] = true;
    });
  }
}

/**
 * Trains segments on rows of named behaviour features (see the module comment for the algorithm
 * and the k criterion). Segment ids are ordered by size, largest first.
 */
export function trainSegments(options: TrainSegmentsOptions): TrainedSegments {
  const { features, rows } = options;
  const seed = options.seed ?? 1;
  const kMin = options.kMin ?? 2;
  const kMax = options.kMax ?? 8;
  const minShare = options.minSegmentShare ?? 0.01;
  if (features.length === 0) throw new Error('trainSegments: no features');
  if (new Set(features).size !== features.length) throw new Error('trainSegments: a feature is named twice');
  if (!(kMin >= 2 && kMax >= kMin)) throw new Error(`trainSegments: k range ${kMin}..${kMax} must start at 2 or more and not be empty`);
  rows.forEach((r, i) => {
    if (r.length !== features.length) throw new Error(`trainSegments: row ${i} has ${r.length} values for ${features.length} features`);
  });
  if (rows.length < kMax * 2) throw new Error(`trainSegments: ${rows.length} rows, need at least ${kMax * 2} for k up to ${kMax}`);

  const scaling = fitScaling(features, rows);
  const points = rows.map((r) => standardise(scaling, r));
  const sampleSize = Math.min(points.length, options.silhouetteSample ?? 1500);
  const random = seededRandom(seed ^ 0x51);
  const order = points.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = order.slice(0, sampleSize).sort((a, b) => a - b);
  const samplePoints = sample.map((i) => points[i]!);

  type Candidate = { k: number; result: ReturnType<typeof kMeans>; silhouette: number; smallestShare: number; eligible: boolean };
  const candidates: Candidate[] = [];
  for (let k = kMin; k <= kMax; k++) {
    const result = kMeans(points, k, { seed: seed + k * 7919, restarts: options.restarts ?? 5 });
    const sizes = new Array<number>(k).fill(0);
    for (const a of result.assignments) sizes[a]!++;
    const smallestShare = Math.min(...sizes) / points.length;
    const s = silhouette(samplePoints, sample.map((i) => result.assignments[i]!), k);
    candidates.push({ k, result, silhouette: s, smallestShare, eligible: smallestShare >= minShare && Math.min(...sizes) > 0 });
  }
  const pool = candidates.some((c) => c.eligible) ? candidates.filter((c) => c.eligible) : candidates;
  const chosen = pool.reduce((best, c) => (c.silhouette > best.silhouette + 1e-12 ? c : best));

  // Order segments by size (largest first; ties by centroid index) so ids are stable and readable.
  const k = chosen.k;
  const sizes = new Array<number>(k).fill(0);
  for (const a of chosen.result.assignments) sizes[a]!++;
  const byIndex = sizes.map((_, c) => c).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
  const centroids = byIndex.map((c) => Array.from(chosen.result.centroids[c]!));
  const names = nameSegments(features, centroids, options.descriptors ?? DEFAULT_DESCRIPTORS);
  const segments: SegmentInfo[] = byIndex.map((c, id) => ({
    id,
    name: names[id]!.name,
    size: sizes[c]!,
    share: sizes[c]! / points.length,
    centroid: centroids[id]!,
    describedBy: names[id]!.describedBy,
  }));
  const quality: SegmentQuality = {
    k,
    silhouette: chosen.silhouette,
    shoppers: points.length,
    silhouetteSample: sampleSize,
    inertia: chosen.result.inertia,
    sizes: segments.map((s) => s.size),
    byK: candidates.map((c) => ({ k: c.k, silhouette: c.silhouette, smallestShare: c.smallestShare, eligible: c.eligible, inertia: c.result.inertia })),
    seed,
  };
  const artifact = encodeSegmentsArtifact({ format: SEGMENTS_FORMAT, features: scaling, segments, quality });
  return { artifact, model: new SegmentModel(artifact), quality };
}

export function encodeSegmentsArtifact(artifact: SegmentsArtifact): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(artifact));
}

/** Parses and checks a segments artifact, naming what is wrong. */
export function decodeSegmentsArtifact(bytes: Uint8Array): SegmentsArtifact {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error(`segments artifact: not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const a = raw as Partial<SegmentsArtifact> | null;
  if (a === null || typeof a !== 'object') throw new Error('segments artifact: expected a JSON object');
  if (a.format !== SEGMENTS_FORMAT) throw new Error(`segments artifact: format ${String(a.format)}, expected ${SEGMENTS_FORMAT}`);
  if (!Array.isArray(a.features) || a.features.length === 0) throw new Error('segments artifact: features must be a non-empty list');
  for (const f of a.features) {
    if (typeof f?.name !== 'string' || typeof f.log !== 'boolean' || !Number.isFinite(f.mean) || !(f.std > 0)) {
      throw new Error(`segments artifact: feature ${JSON.stringify(f)} needs name, log, a finite mean and std > 0`);
    }
  }
  if (!Array.isArray(a.segments) || a.segments.length < 1) throw new Error('segments artifact: segments must be a non-empty list');
  a.segments.forEach((s, i) => {
    if (s?.id !== i) throw new Error(`segments artifact: segment ${i} has id ${String(s?.id)}`);
    if (typeof s.name !== 'string' || s.name === '') throw new Error(`segments artifact: segment ${i} has no name`);
    if (!Array.isArray(s.centroid) || s.centroid.length !== a.features!.length || !s.centroid.every(Number.isFinite)) {
      throw new Error(`segments artifact: segment ${i} centroid must be ${a.features!.length} finite numbers`);
    }
  });
  return a as SegmentsArtifact;
}

/** A trained segmentation: `assign` puts a shopper's features in a segment (nearest centroid, no tf). */
export class SegmentModel {
  readonly artifact: SegmentsArtifact;
  /** First 12 hex digits of the artifact's SHA-256. */
  readonly version: string;
  readonly features: readonly string[];
  private readonly centroids: Float64Array[];
  private readonly indexOf: ReadonlyMap<string, number>;

  constructor(bytes: Uint8Array) {
    this.artifact = decodeSegmentsArtifact(bytes);
    this.version = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    this.features = this.artifact.features.map((f) => f.name);
    this.indexOf = new Map(this.features.map((f, j) => [f, j]));
    this.centroids = this.artifact.segments.map((s) => Float64Array.from(s.centroid));
  }

  get segments(): readonly SegmentInfo[] {
    return this.artifact.segments;
  }

  /**
   * The segment of a shopper: values in `features` order, or a record by feature name (other keys
   * ignored; a missing or non-numeric value reads as the mean).
   */
  assign(values: readonly FeatureInput[] | Readonly<Record<string, FeatureInput>>): { id: number; name: string } {
    let row: readonly FeatureInput[];
    if (Array.isArray(values)) {
      if (values.length !== this.features.length) throw new Error(`segments: ${values.length} values for ${this.features.length} features (${this.features.join(', ')})`);
      row = values as readonly FeatureInput[];
    } else {
      const record = values as Readonly<Record<string, FeatureInput>>;
      row = this.features.map((f) => record[f]);
    }
    const id = nearest(standardise(this.artifact.features, row), this.centroids);
    return { id, name: this.artifact.segments[id]!.name };
  }

  /** Column of a feature in `assign`'s array form. */
  column(feature: string): number | undefined {
    return this.indexOf.get(feature);
  }
}

/** Rows for `trainSegments` from records of named feature values (e.g. OfflineExecutor.values). */
export function rowsFromRecords(features: readonly string[], records: readonly Readonly<Record<string, FeatureInput>>[]): FeatureInput[][] {
  return records.map((r) => features.map((f) => r[f]));
}

/** The registry name and artifact format of the segmentation (ADR 0059). */
export const SEGMENTS_MODEL = 'segments';
export const SEGMENTS_ARTIFACT_FORMAT = 'clickwise.segments/1';

/** Flat numbers for the registry's `metrics`. */
export function segmentsRegistryMetrics(quality: SegmentQuality): Record<string, number> {
  return {
    k: quality.k,
    silhouette: quality.silhouette,
    shoppers: quality.shoppers,
    smallest_share: Math.min(...quality.sizes) / quality.shoppers,
    inertia: quality.inertia,
  };
}

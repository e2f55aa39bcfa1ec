import { createHash } from 'node:crypto';
import { InvalidInputError, NotFoundError, UnavailableError } from '@clickwise/errors';
import type { FeatureRequest, FeatureSnapshot } from '@clickwise/feature-store';
import type { Contribution, Score, ServingModel } from './serving-model.js';

/** Where live features come from (FeatureReader over Redis). */
export interface FeatureSource {
  read(request: FeatureRequest): Promise<FeatureSnapshot>;
  /** A snapshot that may be served now without I/O (the feature cache), if any. */
  peek?(request: FeatureRequest): FeatureSnapshot | undefined;
  /** Many requests in one round trip, in request order (the per-click batch). */
  readMany?(requests: readonly FeatureRequest[]): Promise<FeatureSnapshot[]>;
}

/** The behaviour segment of a feature vector (libs/segments plugs in here). */
export interface SegmentAssigner {
  readonly modelVersion: string;
  assign(features: FeatureSnapshot): { id: string; name: string };
}

/** A challenger in serving (ADR 0074). */
export interface Challenger {
  model: ServingModel;
  mode: 'shadow' | 'share';
  /** Share of shoppers it answers in `share` mode, 0..1. */
  share: number;
}

/** A shopper's fixed place in [0, 1): the first 32 bits of SHA-256 of the key. */
export function shopperBucket(shopperKey: string): number {
  return createHash('sha256').update(shopperKey).digest().readUInt32BE(0) / 2 ** 32;
}

export interface PredictOptions {
  /** Score a shopper with no stored features (the model's prior) instead of NOT_FOUND. */
  scoreUnknownShoppers: boolean;
  /** How long a feature read may take (ms) before UNAVAILABLE. */
  readTimeoutMs: number;
  /**
   * Where the per-click path reads (default: the same source). It must see at least the state a
   * notice announced, so it is the Redis reader, never the feature cache: the cache follows the
   * notices in a reader of its own, which may be behind the per-click consumer.
   */
  clickFeatures?: FeatureSource;
  now?: () => number;
}

/** One prediction, before it becomes a protobuf message. */
export interface PredictionResult {
  shopperKey: string;
  sessionId: string;
  model: ServingModel;
  score: Score;
  /** Largest |contribution| first, cut to the asked number. */
  top: Contribution[];
  segment: { id: string; name: string; modelVersion: string } | undefined;
  newestEventTimeMs: number | null;
  featureAgeMs: number | null;
  snapshotVersion: number;
  sequence: bigint;
  predictedAtMs: number;
  arm: 'champion' | 'challenger';
  challenger: { mode: 'shadow' | 'share'; share: number } | undefined;
  shadow: { version: string; probability: number } | undefined;
}

const MAX_KEY_CHARS = 256;

export function topContributions(contributions: readonly Contribution[], n: number): Contribution[] {
  return [...contributions].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || a.feature.localeCompare(b.feature)).slice(0, n);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Scores shoppers: reads the live features (one Redis round trip), takes the served model once,
 * numbers the prediction and scores it, all in one synchronous step after the read, so the
 * sequence order is the order in which predictions took their model (ADR 0070).
 */
export class Predictor {
  private sequence = 0n;
  private readonly now: () => number;

  constructor(
    private readonly features: FeatureSource,
    private readonly currentModel: () => ServingModel | undefined,
    private readonly options: PredictOptions,
    private readonly segments: () => SegmentAssigner | undefined = () => undefined,
    private readonly challenger: () => Challenger | undefined = () => undefined,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Checks a request's shopper and session ids; InvalidInputError names the field. */
  static validate(shopperKey: string, sessionId: string, field = 'shopper_key'): void {
    if (shopperKey.length === 0) throw new InvalidInputError(`${field} is empty: name the shopper (user id, else anonymous id)`, field);
    if (shopperKey.length > MAX_KEY_CHARS) throw new InvalidInputError(`${field} has ${shopperKey.length} characters; at most ${MAX_KEY_CHARS}`, field);
    if (sessionId.length > MAX_KEY_CHARS) throw new InvalidInputError(`session_id has ${sessionId.length} characters; at most ${MAX_KEY_CHARS}`, 'session_id');
  }

  async predict(shopperKey: string, sessionId: string, top: number, itemId = ''): Promise<PredictionResult> {
    Predictor.validate(shopperKey, sessionId);
    if (itemId.length > MAX_KEY_CHARS) throw new InvalidInputError(`item_id has ${itemId.length} characters; at most ${MAX_KEY_CHARS}`, 'item_id');
    if (!this.currentModel()) throw new UnavailableError('no model is loaded yet (the registry has no compatible champion); try again once one is published', 5000);
    const request: FeatureRequest = { shopperKey, ...(sessionId ? { sessionId } : {}), ...(itemId ? { itemId } : {}) };
    let snapshot = this.features.peek?.(request);
    if (!snapshot) {
      try {
        snapshot = await withTimeout(this.features.read(request), this.options.readTimeoutMs, 'the feature read');
      } catch (error) {
        throw new UnavailableError(`Redis (live features) did not answer: ${error instanceof Error ? error.message : String(error)}`, 1000);
      }
    }
    if (!snapshot.found.shopper && !(sessionId && snapshot.found.session) && !this.options.scoreUnknownShoppers) {
      throw new NotFoundError(`no features are stored for shopper "${shopperKey}" (no events seen, erased, or expired)`);
    }
    return this.score(shopperKey, sessionId, snapshot, top, itemId);
  }

  /** Scores a snapshot already read (the per-click path). */
  score(shopperKey: string, sessionId: string, snapshot: FeatureSnapshot, top: number, itemId = ''): PredictionResult {
    const champion = this.currentModel();
    if (!champion) throw new UnavailableError('no model is loaded yet', 5000);
    const challenger = this.challenger();
    const context = itemId ? { itemId } : {};
    const toChallenger = challenger?.mode === 'share' && shopperBucket(shopperKey) < challenger.share;
    const model = toChallenger ? challenger.model : champion;
    const sequence = ++this.sequence;
    const score = model.score(snapshot, context);
    const shadow = challenger?.mode === 'shadow' ? { version: challenger.model.version, probability: challenger.model.score(snapshot, context).probability } : undefined;
    const segmenter = this.segments();
    const now = this.now();
    return {
      shopperKey,
      sessionId,
      model,
      score,
      top: topContributions(score.contributions, top),
      segment: segmenter ? { ...segmenter.assign(snapshot), modelVersion: segmenter.modelVersion } : undefined,
      newestEventTimeMs: snapshot.refMs,
      featureAgeMs: snapshot.refMs === null ? null : Math.max(0, now - snapshot.refMs),
      snapshotVersion: snapshot.snapshotVersion,
      sequence,
      predictedAtMs: now,
      arm: toChallenger ? 'challenger' : 'champion',
      challenger: challenger && { mode: challenger.mode, share: challenger.mode === 'share' ? challenger.share : 0 },
      shadow,
    };
  }

  /** Reads and scores for the per-click path (no NOT_FOUND: a notice means the state exists unless erased). */
  async readAndScore(request: FeatureRequest, top: number): Promise<{ result: PredictionResult; snapshot: FeatureSnapshot } | undefined> {
    return (await this.readAndScoreMany([request], top))[0];
  }

  /** The per-click path for a whole batch: one read of every shopper's features (readMany), then each scored. */
  async readAndScoreMany(requests: readonly FeatureRequest[], top: number): Promise<({ result: PredictionResult; snapshot: FeatureSnapshot } | undefined)[]> {
    const source = this.options.clickFeatures ?? this.features;
    const read = source.readMany ? source.readMany(requests) : Promise.all(requests.map((r) => source.read(r)));
    const snapshots = await withTimeout(read, this.options.readTimeoutMs, 'the feature read');
    return requests.map((request, i) => {
      const snapshot = snapshots[i]!;
      if (!snapshot.found.shopper) return undefined;
      return { result: this.score(request.shopperKey, request.sessionId ?? '', snapshot, top, request.itemId ?? ''), snapshot };
    });
  }
}

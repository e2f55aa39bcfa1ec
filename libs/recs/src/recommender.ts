import { InvalidInputError } from '@clickwise/errors';
import { planBatch } from './plan.js';
import { rank } from './rank.js';
import type { AppliedBatch, BatchSource, ErasureResult, IndexQuery, IndexSlice, RecsStore } from './store.js';
import {
  DEFAULT_RECS_CONFIG,
  type CatalogView,
  type RankConfig,
  type RecommendRequest,
  type Recommendation,
  type RecsConfig,
  type RecsEvent,
  type RecsFilters,
  type SequenceModel,
} from './types.js';

export interface RecommenderOptions {
  readonly config?: RecsConfig;
  readonly catalog?: CatalogView;
  readonly sequence?: { readonly model: SequenceModel; readonly version: string };
}

const MAX_K = 200;

/**
 * The recommender over one live index: `ingest` events, `recommend` for a shopper/session,
 * `similar` for an item, `erase` a shopper. The service runs it over the Redis store, the offline
 * evaluation over the in-memory store: the same candidate and ranking code (ADR 0091).
 */
export class Recommender {
  private config: RecsConfig;
  private catalog: CatalogView | undefined;
  private sequence: { readonly model: SequenceModel; readonly version: string } | undefined;
  private landmarkMs: number | undefined;

  constructor(
    readonly store: RecsStore,
    options: RecommenderOptions = {},
  ) {
    this.config = options.config ?? DEFAULT_RECS_CONFIG;
    this.catalog = options.catalog;
    this.sequence = options.sequence;
  }

  /** Swaps the sequence model in (or out, with undefined) without a restart. */
  setSequenceModel(model: SequenceModel | undefined, version?: string): void {
    this.sequence = model ? { model, version: version ?? 'unversioned' } : undefined;
  }

  setCatalog(catalog: CatalogView | undefined): void {
    this.catalog = catalog;
  }

  /** Changes the ranking parameters (the index parameters are fixed by the store's content). */
  setRankConfig(rank: RankConfig): void {
    this.config = { ...this.config, rank };
  }

  get rankConfig(): RankConfig {
    return this.config.rank;
  }

  /**
   * Applies clickstream events (one round trip per call); a click shows in its session's next
   * answer. With `source` (where the events were read: a topic partition and each event's
   * offset), an event already applied from that position is not applied again (ADR 0048).
   */
  async ingest(events: RecsEvent | readonly RecsEvent[], source?: BatchSource): Promise<AppliedBatch> {
    const batch: readonly RecsEvent[] = Array.isArray(events) ? (events as readonly RecsEvent[]) : [events as RecsEvent];
    if (source !== undefined && source.positions.length !== batch.length) throw new Error(`ingest: ${batch.length} events, ${source.positions.length} positions`);
    if (batch.length === 0 && source === undefined) return { applied: 0, from: 0 };
    if (this.landmarkMs === undefined && batch.length > 0) {
      let min = Number.POSITIVE_INFINITY;
      for (const e of batch) if (e.timeMs < min) min = e.timeMs;
      this.landmarkMs = await this.store.landmark(Number.isFinite(min) ? min : 0);
    }
    const planned = planBatch(batch, this.landmarkMs ?? 0, this.config.index);
    return this.store.apply(source === undefined ? planned : { ...planned, source });
  }

  erase(shopperKey: string): Promise<ErasureResult> {
    if (shopperKey === '') throw new InvalidInputError('erase: shopperKey is empty', 'shopperKey');
    return this.store.erase(shopperKey);
  }

  /** The query a request reads (exposed so the evaluation and tests can read a slice themselves). */
  queryOf(request: RecommendRequest): IndexQuery {
    const r = this.config.rank;
    return {
      ...(request.shopperKey === undefined ? {} : { shopperKey: request.shopperKey }),
      ...(request.sessionId === undefined ? {} : { sessionId: request.sessionId }),
      ...(request.recentItems === undefined ? {} : { recentItems: request.recentItems }),
      expandItems: r.expandItems,
      postingLimit: Math.min(r.sampleSize, this.config.index.postingSessions),
      sampleSize: r.sampleSize,
      covisLimit: r.covisLimit,
      popularLimit: Math.max(r.popularLimit, request.k),
      categories: request.filters?.categories ?? [],
      withCategories: (request.filters?.categories?.length ?? 0) > 0,
    };
  }

  async recommend(request: RecommendRequest): Promise<Recommendation> {
    checkK(request.k);
    const slice = await this.store.read(this.queryOf(request));
    return this.rankSlice(slice, request);
  }

  /** Ranking over a slice already read (pure; what `recommend` does after its one read). */
  rankSlice(slice: IndexSlice, request: RecommendRequest): Recommendation {
    return rank({
      slice,
      request,
      config: this.config.rank,
      ...(this.catalog ? { catalog: this.catalog } : {}),
      ...(this.sequence ? { sequence: this.sequence } : {}),
    });
  }

  /** Items like `itemId`: its co-visited items and the sessions that saw it; never the item itself. */
  similar(itemId: string, k: number, filters: RecsFilters = {}): Promise<Recommendation> {
    if (itemId === '') throw new InvalidInputError('similar: itemId is empty', 'itemId');
    return this.recommend({ recentItems: [itemId], k, filters: { ...filters, exclude: [...(filters.exclude ?? []), itemId], excludeBought: filters.excludeBought ?? false } });
  }
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new InvalidInputError(`k is ${String(k)}; it must be an integer from 1 to ${MAX_K}`, 'k');
}

import { ClickwiseError, InvalidInputError, UnavailableError } from '@clickwise/errors';
import type { Recommendation, RecommendRequest, RecsFilters, ScoredItem } from '@clickwise/recs';
import type { ReadGate } from './read-gate.js';
import type { RecommendationIds } from './recommendation-id.js';

/** Most items one call returns. */
export const MAX_K = 100;
/** Most explicit exclusions and categories in one call. */
export const MAX_EXCLUDE = 1000;
export const MAX_CATEGORIES = 100;
/** Ingestion's limit on ids (services/ingestion MAX_ID_CHARS): longer ones can never be in the index. */
export const MAX_ID_CHARS = 128;
/** The model version of a list no sequence model took part in (live indexes and popularity only). */
export const LIVE_VERSION = 'live';

export interface Filters {
  excludeBought: boolean;
  exclude: readonly string[];
  categories: readonly string[];
}

/** One answer, as the edge turns it into a Recommendation message. */
export interface Answer {
  recommendationId: string;
  shopperKey: string;
  sessionId: string;
  modelVersion: string;
  createdAtMs: number;
  items: readonly ScoredItem[];
}

/** What the service asks of libs/recs (its Recommender). */
export interface RecsEngine {
  recommend(request: RecommendRequest): Promise<Recommendation>;
  similar(itemId: string, k: number, filters?: RecsFilters): Promise<Recommendation>;
}

function checkId(value: string, field: string): void {
  if (value.length > MAX_ID_CHARS) throw new InvalidInputError(`${field} is ${value.length} characters; at most ${MAX_ID_CHARS}`, field);
}

/**
 * Requests checked and answered (ADR 0095): the live index, catalogue and sequence model behind
 * libs/recs' Recommender; this class validates (each problem an InvalidInputError naming its
 * field), applies the default k, gives every list a recommendation id naming the model version
 * (ADR 0096), and turns a store that does not answer into UnavailableError; reads pass a ReadGate
 * (back-pressure: OverloadedError when the index is busy, ADR 0100).
 */
export class RecommendationService {
  constructor(
    private readonly engine: RecsEngine,
    private readonly ids: RecommendationIds,
    private readonly options: { defaultK: number; gate?: ReadGate },
    private readonly now: () => number = Date.now,
  ) {}

  private k(k: number): number {
    if (k > MAX_K) throw new InvalidInputError(`k is ${k}; at most ${MAX_K}`, 'k');
    return k === 0 ? this.options.defaultK : k;
  }

  private static filters(filters: Filters): void {
    if (filters.exclude.length > MAX_EXCLUDE) throw new InvalidInputError(`${filters.exclude.length} excluded items; at most ${MAX_EXCLUDE}`, 'filters.exclude_item_ids');
    filters.exclude.forEach((id, i) => checkId(id, `filters.exclude_item_ids[${i}]`));
    if (filters.categories.length > MAX_CATEGORIES) throw new InvalidInputError(`${filters.categories.length} categories; at most ${MAX_CATEGORIES}`, 'filters.category_ids');
    filters.categories.forEach((id, i) => {
      if (id === '') throw new InvalidInputError(`filters.category_ids[${i}] is empty`, `filters.category_ids[${i}]`);
      checkId(id, `filters.category_ids[${i}]`);
    });
  }

  private async ask(what: () => Promise<Recommendation>): Promise<Recommendation> {
    try {
      return await (this.options.gate ? this.options.gate.run(what) : what());
    } catch (error) {
      if (error instanceof ClickwiseError) throw error;
      throw new UnavailableError(`Redis (live index) did not answer: ${error instanceof Error ? error.message : String(error)}`, 1000);
    }
  }

  private answer(result: Recommendation, shopperKey: string, sessionId: string): Answer {
    const modelVersion = result.modelVersion ?? LIVE_VERSION;
    return { recommendationId: this.ids.next(modelVersion), shopperKey, sessionId, modelVersion, createdAtMs: this.now(), items: result.items };
  }

  /** Next items for a shopper and/or session; an unknown shopper or session gets the cold-start list (popular now). */
  async recommend(request: { shopperKey: string; sessionId: string; k: number; filters: Filters }): Promise<Answer> {
    if (request.shopperKey === '' && request.sessionId === '') throw new InvalidInputError('name the shopper (shopper_key) or the session (session_id)', 'shopper_key');
    checkId(request.shopperKey, 'shopper_key');
    checkId(request.sessionId, 'session_id');
    const k = this.k(request.k);
    RecommendationService.filters(request.filters);
    const result = await this.ask(() =>
      this.engine.recommend({
        ...(request.shopperKey ? { shopperKey: request.shopperKey } : {}),
        ...(request.sessionId ? { sessionId: request.sessionId } : {}),
        k,
        filters: { excludeBought: request.filters.excludeBought, exclude: request.filters.exclude, categories: request.filters.categories },
      }),
    );
    return this.answer(result, request.shopperKey, request.sessionId);
  }

  /** Items similar to an item; an unknown item gets the cold-start list (popular now). */
  async similar(request: { itemId: string; k: number; filters: Filters }): Promise<Answer> {
    if (request.itemId === '') throw new InvalidInputError('item_id is empty: name the item', 'item_id');
    checkId(request.itemId, 'item_id');
    if (request.filters.excludeBought) throw new InvalidInputError('exclude_bought needs a shopper; SimilarItems has none', 'filters.exclude_bought');
    const k = this.k(request.k);
    RecommendationService.filters(request.filters);
    const result = await this.ask(() => this.engine.similar(request.itemId, k, { excludeBought: false, exclude: request.filters.exclude, categories: request.filters.categories }));
    return this.answer(result, '', '');
  }
}

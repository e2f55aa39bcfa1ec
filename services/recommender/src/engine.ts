import { Recommender, type AppliedBatch, type BatchSource, type CatalogView, type Recommendation, type RecommendRequest, type RecsConfig, type RecsEvent, type RecsFilters, type RecsStore } from '@clickwise/recs';
import type { IndexWriter } from './recommender.runtime.js';
import type { RecsEngine } from './recommender.service.js';
import type { ServedSequence } from './serving-sequence.js';

/**
 * libs/recs' Recommender over the live index, as the service uses it: the runtime writes to it
 * (events, erasures), the RecommendationService reads from it, the catalogue follower's state is
 * its CatalogView, and the served sequence model is swapped into it by one call when the slot
 * accepts a new champion (a request takes the model once, in its synchronous ranking step).
 */
export class LiveRecommender implements RecsEngine, IndexWriter {
  readonly recommender: Recommender;

  constructor(
    store: RecsStore,
    catalog: CatalogView,
    recs?: RecsConfig,
  ) {
    this.recommender = new Recommender(store, { catalog, ...(recs ? { config: recs } : {}) });
  }

  /** The served sequence model changed (ServingSequence's swap). */
  useSequence(served: ServedSequence | undefined): void {
    this.recommender.setSequenceModel(served?.sequence, served?.version);
  }

  ingest(events: readonly RecsEvent[], source?: BatchSource): Promise<AppliedBatch> {
    return this.recommender.ingest(events, source);
  }

  erase(shopperKey: string): Promise<unknown> {
    return this.recommender.erase(shopperKey);
  }

  recommend(request: RecommendRequest): Promise<Recommendation> {
    return this.recommender.recommend(request);
  }

  similar(itemId: string, k: number, filters?: RecsFilters): Promise<Recommendation> {
    return this.recommender.similar(itemId, k, filters);
  }
}

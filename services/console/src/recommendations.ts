/** One recommendation as the feed panel shows it. */
export interface RecommendationRow {
  shopperKey: string;
  items: { itemId: string; score: number; reason: string }[];
  modelVersion: string;
  atMs: number;
}

/** The recommendations panel: rows when a source feeds it, else why it is empty. */
export type RecommendationsPanel = { available: true; rows: RecommendationRow[] } | { available: false; note: string };

/**
 * Where the live recommendations come from: the hook for the recommender service. The platform
 * has no recommender yet (no recommendations topic in libs/contracts, no service on this build),
 * so the console ships `noRecommendations` and the page shows an empty, labelled panel; a source
 * (e.g. sampling Recommend over gRPC for the shoppers of the prediction feed, or following a
 * recommendations topic) implements this and is handed to the board in app.module.ts.
 */
export interface RecommendationSource {
  panel(): RecommendationsPanel;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export const noRecommendations: RecommendationSource = {
  panel: () => ({ available: false, note: 'No recommendation feed: the recommender service is not part of this build yet. Nothing is shown rather than invented.' }),
};

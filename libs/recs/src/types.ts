/**
 * The public shapes of libs/recs: what goes in (clickstream events, requests), what comes out
 * (scored items with reasons), the seams to other modules (sequence model, catalogue) and the
 * configuration. docs/specs/recommender.md fixes the seams; ADRs 0090–0091 say how it works.
 */

/** The event kinds the index learns from; the service maps clickstream event types onto these. */
export type RecsEventKind = 'view' | 'cart' | 'purchase';

/** One clickstream event as the index sees it. Event time (not arrival time) drives every decay and window. */
export interface RecsEvent {
  /** The shopper key of clickstream.events.v1 (user id, else anonymous/session id). */
  readonly shopperKey: string;
  /** The storefront's session id. Session ids are taken as unique across shoppers. */
  readonly sessionId: string;
  readonly itemId: string;
  readonly kind: RecsEventKind;
  /** Event time, ms since the epoch. */
  readonly timeMs: number;
  /** The item's category as the event carried it (the catalogue, when it knows the item, wins). */
  readonly categoryId?: string;
}

export interface RecsFilters {
  /** Drop items the shopper (or the session) purchased. Default true. */
  readonly excludeBought?: boolean;
  /** Never return these items. */
  readonly exclude?: readonly string[];
  /** Only items in one of these categories (empty or absent: any category). */
  readonly categories?: readonly string[];
  /**
   * Drop items of the current session (the request's session and recentItems). Default false:
   * shoppers come back to items they viewed (on the benchmarks a third of the labels are repeats).
   */
  readonly excludeSeen?: boolean;
}

export interface RecommendRequest {
  /** Whose history (purchases) and, without sessionId, whose latest session. */
  readonly shopperKey?: string;
  /** The session whose events the index holds. */
  readonly sessionId?: string;
  /** Items the caller knows the shopper just saw, oldest first; taken as newer than the stored session. */
  readonly recentItems?: readonly string[];
  /** How many items; 1..200. */
  readonly k: number;
  readonly filters?: RecsFilters;
  /** The request's time (ms); default: the newest event of the session, else the index's newest event. */
  readonly nowMs?: number;
}

export type ReasonKind = 'co-visited' | 'session-neighbours' | 'sequence' | 'popular-category' | 'popular';

export interface Reason {
  readonly kind: ReasonKind;
  /** Plain text for a storefront or an operator, e.g. "viewed together with 1234". */
  readonly text: string;
  /** The item that led here (co-visitation: the recent item it was viewed together with). */
  readonly itemId?: string;
  /** The category (popularity in a category). */
  readonly categoryId?: string;
}

export interface ScoredItem {
  readonly itemId: string;
  /** Blended score; higher first. Comparable within one answer only. */
  readonly score: number;
  /** The strongest reason first. */
  readonly reasons: readonly Reason[];
}

export interface Recommendation {
  readonly items: readonly ScoredItem[];
  /** The sequence model version that took part, when one did. */
  readonly modelVersion?: string;
}

/**
 * The sequence model seam of docs/specs/recommender.md, declared here structurally so libs/recs
 * does not depend on libs/sequence: any object of this shape is a candidate source.
 */
export interface SequenceModel {
  readonly itemIds: readonly string[];
  topK(prefix: readonly string[], k: number, exclude?: ReadonlySet<string>): { itemId: string; score: number }[];
  score(prefix: readonly string[], itemIds: readonly string[]): Float32Array;
  toArtifact(): Uint8Array;
}

/** What libs/recs needs of a catalogue record (libs/catalog's CatalogItem has at least these). */
export interface CatalogItemLike {
  readonly itemId?: string;
  readonly categoryId?: string;
  readonly available?: boolean;
  readonly title?: string;
}

/**
 * The catalogue seam of docs/specs/recommender.md, structural (libs/catalog's CatalogView fits).
 * An item the catalogue never heard of is available.
 */
export interface CatalogView {
  get(itemId: string): CatalogItemLike | undefined;
  isAvailable(itemId: string): boolean;
  categoryOf(itemId: string): string | undefined;
}

/** How the index is built. Both stores must be given the same one (they then hold the same numbers). */
export interface IndexConfig {
  /** Events kept per session (the newest). */
  readonly sessionEvents: number;
  /** Sessions kept per item in its posting list (the most recent). */
  readonly postingSessions: number;
  /** Co-visited items kept per item (the heaviest); trimmed back to this when a row reaches 1.5×. */
  readonly covisItems: number;
  /** A new item is paired with this many previous distinct items of its session. */
  readonly covisWindow: number;
  /** Weight of a pair in the backward direction (the later item → the earlier one), forward is 1. */
  readonly covisBackward: number;
  /** Half-life of co-visitation weights (event time, ms). */
  readonly covisHalfLifeMs: number;
  /** Half-life of popularity (event time, ms): "popular now". */
  readonly popularHalfLifeMs: number;
  /** Popularity weight of each event kind. */
  readonly kindWeights: Readonly<Record<RecsEventKind, number>>;
}

/** How a request is answered (tuned offline on a validation split; ADR 0091). */
export interface RankConfig {
  /** Distinct newest items of the session whose neighbourhoods are read. */
  readonly expandItems: number;
  /** Candidate neighbour sessions, the most recent from the expanded items' posting lists. */
  readonly sampleSize: number;
  /** Neighbour sessions kept (the most similar). */
  readonly neighbours: number;
  /** STAN λ1: position decay of the current session's items (in positions); 0 = V-SKNN linear weights. */
  readonly positionDecay: number;
  /** STAN λ2: neighbour-session recency decay (ms of event time); 0 = off. */
  readonly recencyDecayMs: number;
  /** STAN λ3: decay of a neighbour's items by distance from the shared item (positions); 0 = off. */
  readonly itemDecay: number;
  /** Weight items by inverse document frequency in the neighbourhood (V-SKNN idf). */
  readonly idf: boolean;
  /** Co-visited items read per expanded item. */
  readonly covisLimit: number;
  /** Decay of the co-visitation contribution by how far back the source item is in the session. */
  readonly covisRecencyDecay: number;
  /** Popular items read (global and per category). */
  readonly popularLimit: number;
  /** Sequence-model candidates asked for. */
  readonly sequenceLimit: number;
  /**
   * Temperature of the sequence model's scores: a candidate's part is exp((score − top score) / T),
   * so T > 1 flattens the model's list (its lower candidates count more), T < 1 sharpens it.
   */
  readonly sequenceTemperature: number;
  /** Blend weights of the sources (each source's scores are normalised to a maximum of 1 first). */
  readonly weights: Readonly<{ sessions: number; covisitation: number; popular: number; sequence: number }>;
}

export interface RecsConfig {
  readonly index: IndexConfig;
  readonly rank: RankConfig;
}

export const DEFAULT_INDEX_CONFIG: IndexConfig = {
  sessionEvents: 50,
  postingSessions: 500,
  covisItems: 100,
  covisWindow: 3,
  covisBackward: 0.5,
  covisHalfLifeMs: 14 * 86_400_000,
  popularHalfLifeMs: 2 * 86_400_000,
  kindWeights: { view: 1, cart: 3, purchase: 5 },
};

/** Tuned on Diginetica's validation split (README, ADR 0091); a service may lower sampleSize for latency. */
export const DEFAULT_RANK_CONFIG: RankConfig = {
  expandItems: 5,
  sampleSize: 1000,
  neighbours: 50,
  positionDecay: 1,
  recencyDecayMs: 0,
  itemDecay: 0,
  idf: false,
  covisLimit: 50,
  covisRecencyDecay: 1,
  popularLimit: 100,
  sequenceLimit: 100,
  sequenceTemperature: 1,
  weights: { sessions: 1, covisitation: 0.1, popular: 0, sequence: 1 },
};

export const DEFAULT_RECS_CONFIG: RecsConfig = { index: DEFAULT_INDEX_CONFIG, rank: DEFAULT_RANK_CONFIG };

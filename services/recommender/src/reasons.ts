import { RecommendationReasonKind } from '@clickwise/contracts';
import type { ReasonKind } from '@clickwise/recs';

/** libs/recs' reason kinds as the proto's enum (one mapping, at the edge). */
export function reasonKind(kind: ReasonKind): RecommendationReasonKind {
  switch (kind) {
    case 'co-visited':
      return RecommendationReasonKind.CO_VIEWED;
    case 'session-neighbours':
      return RecommendationReasonKind.SESSION_NEIGHBOURS;
    case 'sequence':
      return RecommendationReasonKind.SEQUENCE_MODEL;
    case 'popular-category':
      return RecommendationReasonKind.POPULAR_IN_CATEGORY;
    case 'popular':
      return RecommendationReasonKind.POPULAR;
  }
}

import { create } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  file_clickwise_v1_recommender,
  RecommendationReasonSchema,
  RecommendationSchema,
  RecommendedItemSchema,
  RecommenderService,
  RecommendResponseSchema,
  SimilarItemsResponseSchema,
  type Recommendation,
  type RecommendFilters,
  type RecommendResponse,
  type SimilarItemsResponse,
} from '@clickwise/contracts';
import { GrpcEdge } from '@clickwise/grpc';
import type { ApiKeyAuthority, Health } from '@clickwise/service';
import type { RecommenderConfig } from './config.js';
import { reasonKind } from './reasons.js';
import { encodeAnswer } from './recommendation-codec.js';
import type { RecommenderMetrics } from './recommender.metrics.js';
import type { Answer, Filters, RecommendationService } from './recommender.service.js';
import type { ServedFeed } from './served-feed.js';

/** The Recommendation message of an answer: every reason kept, the strongest also as `reason`. */
export function recommendationMessage(answer: Answer): Recommendation {
  return create(RecommendationSchema, {
    recommendationId: answer.recommendationId,
    shopperKey: answer.shopperKey,
    sessionId: answer.sessionId,
    modelVersion: answer.modelVersion,
    createdAtMs: BigInt(answer.createdAtMs),
    items: answer.items.map((item) => {
      const reasons = item.reasons.map((r) =>
        create(RecommendationReasonSchema, { kind: reasonKind(r.kind), anchorItemId: r.itemId ?? '', categoryId: r.categoryId ?? '', text: r.text }),
      );
      return create(RecommendedItemSchema, { itemId: item.itemId, score: item.score, ...(reasons[0] ? { reason: reasons[0] } : {}), reasons });
    }),
  });
}

/**
 * A RecommendResponse whose field 1 (`recommendation`) is `encoded`, an already encoded
 * Recommendation: on the wire the same bytes as the response built around the message, without
 * encoding the message again. (An unknown field's data is its encoded value: for a length-delimited
 * field, the length and then the bytes.)
 */
export function responseCarrying(encoded: Uint8Array): RecommendResponse {
  const response = create(RecommendResponseSchema);
  response.$unknown = [{ no: 1, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(encoded).finish() }];
  return response;
}

/** A SimilarItemsResponse for `itemId` whose field 2 (`recommendation`) is `encoded`, as responseCarrying. */
export function similarResponseCarrying(itemId: string, encoded: Uint8Array): SimilarItemsResponse {
  const response = create(SimilarItemsResponseSchema, { itemId });
  response.$unknown = [{ no: 2, wireType: WireType.LengthDelimited, data: new BinaryWriter().bytes(encoded).finish() }];
  return response;
}

function filtersOf(filters: RecommendFilters | undefined): Filters {
  return { excludeBought: filters?.excludeBought ?? false, exclude: filters?.excludeItemIds ?? [], categories: filters?.categoryIds ?? [] };
}

/** The gRPC edge: RecommenderService on libs/grpc's GrpcEdge (as prediction's), API-key scope "read". */
export function recommenderEdge(
  config: RecommenderConfig,
  keys: ApiKeyAuthority,
  readiness: Health,
  metrics: RecommenderMetrics,
  recommendations: RecommendationService,
  /** Where each served Recommend list is published (ADR 0124); none: not published. */
  served?: ServedFeed,
): GrpcEdge {
  const edge = new GrpcEdge({ ...config, envPrefix: 'RECOMMENDER', keys, readiness, registry: metrics.registry, files: [file_clickwise_v1_recommender] });
  edge.serve(RecommenderService, {
    recommend: async (r, call) => {
      await edge.authorize(call.metadata, ['read']);
      const answer = await recommendations.recommend({ shopperKey: r.shopperKey, sessionId: r.sessionId, k: r.k, filters: filtersOf(r.filters) });
      // Encoded once, directly (encodeAnswer), for both the answer and the served feed.
      const bytes = encodeAnswer(answer);
      served?.publishEncoded(answer.shopperKey, bytes);
      return responseCarrying(bytes);
    },
    similarItems: async (r, call) => {
      await edge.authorize(call.metadata, ['read']);
      const answer = await recommendations.similar({ itemId: r.itemId, k: r.k, filters: filtersOf(r.filters) });
      return similarResponseCarrying(r.itemId, encodeAnswer(answer));
    },
  });
  return edge;
}

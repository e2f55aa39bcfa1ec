import { create } from '@bufbuild/protobuf';
import { requireScope, type ApiKeyRecord } from '@clickwise/api-keys';
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
} from '@clickwise/contracts';
import { ClickwiseError, InvalidInputError, OverloadedError, UnavailableError } from '@clickwise/errors';
import { addHealth, addReflection, addService, bindServer, shutdownServer, type GrpcHealth } from '@clickwise/grpc';
import { apiKeyFromGrpc, toGrpcStatus, type ApiKeyAuthority, type Health } from '@clickwise/service';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { RecommenderConfig } from './config.js';
import { reasonKind } from './reasons.js';
import type { RecommenderMetrics } from './recommender.metrics.js';
import type { Answer, Filters, RecommendationService } from './recommender.service.js';
import type { ServedFeed } from './served-feed.js';

type SurfaceCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'metadata' | 'getDeadline'>;

const SERVICE = RecommenderService.typeName;

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

function filtersOf(filters: RecommendFilters | undefined): Filters {
  return { excludeBought: filters?.excludeBought ?? false, exclude: filters?.excludeItemIds ?? [], categories: filters?.categoryIds ?? [] };
}

/** Passed deadline of a call, as the error grpc-js would give (it also ends the call itself). */
function deadlinePassed(call: SurfaceCall): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && ms <= Date.now();
}

/** Plaintext, TLS (RECOMMENDER_TLS_CERT + RECOMMENDER_TLS_KEY) or mutual TLS (+ RECOMMENDER_TLS_CLIENT_CA), as prediction's edge. */
export function serverCredentials(config: Pick<RecommenderConfig, 'tlsCertFile' | 'tlsKeyFile' | 'tlsClientCaFile'>): grpc.ServerCredentials {
  const { tlsCertFile, tlsKeyFile, tlsClientCaFile } = config;
  if (!tlsCertFile && !tlsKeyFile) {
    if (tlsClientCaFile) throw new InvalidInputError('RECOMMENDER_TLS_CLIENT_CA needs RECOMMENDER_TLS_CERT and RECOMMENDER_TLS_KEY', 'RECOMMENDER_TLS_CLIENT_CA');
    return grpc.ServerCredentials.createInsecure();
  }
  if (!tlsCertFile || !tlsKeyFile) throw new InvalidInputError('set both RECOMMENDER_TLS_CERT and RECOMMENDER_TLS_KEY (or neither)', tlsCertFile ? 'RECOMMENDER_TLS_KEY' : 'RECOMMENDER_TLS_CERT');
  const ca = tlsClientCaFile ? readFileSync(tlsClientCaFile) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: readFileSync(tlsCertFile), private_key: readFileSync(tlsKeyFile) }], ca !== null);
}

/**
 * The gRPC edge (the prediction service's conventions, ADR 0095): RecommenderService, health
 * checking that follows readiness, reflection; API-key scope "read" from call metadata; admission
 * (RESOURCE_EXHAUSTED past RECOMMENDER_MAX_INFLIGHT); no work for a call whose deadline passed;
 * domain errors mapped once (toGrpcStatus).
 */
export class RecommenderGrpcServer {
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private health: GrpcHealth | undefined;
  private inflight = 0;
  private boundPort = 0;

  constructor(
    private readonly recommendations: RecommendationService,
    private readonly keys: ApiKeyAuthority,
    private readonly config: RecommenderConfig,
    private readonly healthService: Health,
    private readonly metrics: RecommenderMetrics,
    /** Where each served Recommend list is published (ADR 0124); none: not published. */
    private readonly served?: ServedFeed,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    addService(this.server, RecommenderService, {
      recommend: (call, callback) => {
        void this.unary('Recommend', call, async () => {
          await this.authorize(call.metadata);
          const r = call.request;
          const answer = await this.recommendations.recommend({ shopperKey: r.shopperKey, sessionId: r.sessionId, k: r.k, filters: filtersOf(r.filters) });
          const recommendation = recommendationMessage(answer);
          this.served?.publish(recommendation);
          return create(RecommendResponseSchema, { recommendation });
        }).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
      similarItems: (call, callback) => {
        void this.unary('SimilarItems', call, async () => {
          await this.authorize(call.metadata);
          const r = call.request;
          const answer = await this.recommendations.similar({ itemId: r.itemId, k: r.k, filters: filtersOf(r.filters) });
          return create(SimilarItemsResponseSchema, { itemId: r.itemId, recommendation: recommendationMessage(answer) });
        }).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
    });
    this.health = addHealth(this.server, [SERVICE], this.healthService);
    addReflection(this.server, [file_clickwise_v1_recommender]);
    this.boundPort = await bindServer(this.server, `${this.config.host}:${this.config.grpcPort}`, serverCredentials(this.config));
    return this.boundPort;
  }

  async stop(graceMs: number): Promise<void> {
    this.health?.set(false);
    await shutdownServer(this.server, graceMs);
  }

  private async authorize(metadata: grpc.Metadata): Promise<ApiKeyRecord> {
    let key: ApiKeyRecord;
    try {
      key = await this.keys.authenticate(apiKeyFromGrpc(metadata));
    } catch (error) {
      if (error instanceof ClickwiseError) throw error;
      throw new UnavailableError(`Redis (API keys) did not answer: ${error instanceof Error ? error.message : String(error)}`, 1000);
    }
    requireScope(key, ['read']);
    return key;
  }

  /** Admission (RESOURCE_EXHAUSTED past RECOMMENDER_MAX_INFLIGHT), metrics, one error mapping. */
  private async unary<T>(method: string, call: SurfaceCall, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let status = 'OK';
    if (this.inflight >= this.config.maxInflight) {
      this.metrics.requests.inc({ method, status: 'RESOURCE_EXHAUSTED' });
      throw new OverloadedError(`${this.inflight} calls are in progress (RECOMMENDER_MAX_INFLIGHT ${this.config.maxInflight}); retry shortly`, 50);
    }
    this.inflight++;
    try {
      // grpc-js has already answered DEADLINE_EXCEEDED; do no work for a caller that gave up.
      if (deadlinePassed(call)) throw new UnavailableError("the call's deadline passed before it was started", 0);
      return await run();
    } catch (error) {
      status = grpc.status[toGrpcStatus(error).code];
      throw error;
    } finally {
      this.inflight--;
      this.metrics.requests.inc({ method, status });
      this.metrics.latency.observe({ method }, (performance.now() - started) / 1000);
    }
  }
}

import { create } from '@bufbuild/protobuf';
import {
  FeatureContributionSchema,
  file_clickwise_v1_prediction,
  PredictBatchResponseSchema,
  PredictBatchResultSchema,
  PredictionSchema,
  PredictionService,
  PredictResponseSchema,
  SegmentSchema,
  WatchPredictionsResponseSchema,
  type Prediction,
  type PredictionUpdate,
  type PredictRequest,
  type WatchPredictionsRequest,
  type WatchPredictionsResponse,
} from '@clickwise/contracts';
import { InvalidInputError, OverloadedError } from '@clickwise/errors';
import { GrpcEdge } from '@clickwise/grpc';
import { log, toGrpcStatus, type ApiKeyAuthority, type Health } from '@clickwise/service';
import * as grpc from '@grpc/grpc-js';
import type { PredictionConfig } from './config.js';
import type { PredictionMetrics } from './prediction.metrics.js';
import { Predictor, type PredictionResult } from './predictor.js';
import type { WatchHub } from './watch-hub.js';

const MAX_TOP = 100;
const MAX_WATCHED_SHOPPERS = 1000;
/** Messages a slow watcher may have queued before its stream is ended with RESOURCE_EXHAUSTED. */
const MAX_WATCH_BACKLOG = 10_000;

export function predictionMessage(r: PredictionResult): Prediction {
  return create(PredictionSchema, {
    shopperKey: r.shopperKey,
    sessionId: r.sessionId,
    purchaseProbability: r.score.probability,
    logit: r.score.logit,
    ...(r.segment ? { segment: create(SegmentSchema, r.segment) } : {}),
    model: r.model.model,
    modelVersion: r.model.version,
    featureAgeMs: BigInt(r.featureAgeMs ?? -1),
    newestEventTimeMs: BigInt(r.newestEventTimeMs ?? 0),
    snapshotVersion: BigInt(r.snapshotVersion),
    topContributions: r.top.map((c) => create(FeatureContributionSchema, c)),
    explanationMethod: r.model.explanation,
    baselineLogit: r.score.baselineLogit,
    sequence: r.sequence,
    predictedAtMs: BigInt(r.predictedAtMs),
    arm: r.arm,
    challengerShare: r.challenger?.share ?? 0,
    challengerMode: r.challenger?.mode ?? '',
    shadowModelVersion: r.shadow?.version ?? '',
    shadowProbability: r.shadow?.probability ?? 0,
  });
}

/** The gRPC edge: PredictionService on libs/grpc's GrpcEdge (auth, admission, deadline, errors, metrics, health, reflection). */
export function predictionEdge(config: PredictionConfig, keys: ApiKeyAuthority, readiness: Health, metrics: PredictionMetrics, predictor: Predictor, hub: WatchHub): GrpcEdge {
  const edge = new GrpcEdge({ ...config, envPrefix: 'PREDICTION', keys, readiness, registry: metrics.registry, files: [file_clickwise_v1_prediction] });
  const calls = new PredictionCalls(edge, predictor, hub, config, metrics);
  edge.serve(PredictionService, {
    predict: (request, call) => calls.predict(call.metadata, request),
    predictBatch: (request, call) => calls.predictBatch(call.metadata, request.requests),
    watchPredictions: (call, finish) => calls.watchPredictions(call, finish),
  });
  return edge;
}

/** What each PredictionService call does once the edge admitted it. */
class PredictionCalls {
  constructor(
    private readonly edge: GrpcEdge,
    private readonly predictor: Predictor,
    private readonly hub: WatchHub,
    private readonly config: PredictionConfig,
    private readonly metrics: PredictionMetrics,
  ) {}

  private top(n: number): number {
    if (n > MAX_TOP) throw new InvalidInputError(`top_contributions is ${n}; at most ${MAX_TOP}`, 'top_contributions');
    return n === 0 ? this.config.defaultTopContributions : n;
  }

  async predict(metadata: grpc.Metadata, request: PredictRequest) {
    await this.edge.authorize(metadata, ['read']);
    const result = await this.predictor.predict(request.shopperKey, request.sessionId, this.top(request.topContributions), request.itemId);
    return create(PredictResponseSchema, { prediction: predictionMessage(result) });
  }

  async predictBatch(metadata: grpc.Metadata, requests: PredictRequest[]) {
    await this.edge.authorize(metadata, ['read']);
    if (requests.length === 0) throw new InvalidInputError('requests is empty: name at least one shopper', 'requests');
    if (requests.length > this.config.maxBatch) throw new InvalidInputError(`${requests.length} requests in one batch; at most ${this.config.maxBatch}`, 'requests');
    requests.forEach((r, i) => {
      Predictor.validate(r.shopperKey, r.sessionId, `requests[${i}].shopper_key`);
      if (r.topContributions > MAX_TOP) throw new InvalidInputError(`requests[${i}].top_contributions is ${r.topContributions}; at most ${MAX_TOP}`, `requests[${i}].top_contributions`);
    });
    const results = await Promise.all(
      requests.map(async (r) => {
        try {
          const p = await this.predictor.predict(r.shopperKey, r.sessionId, this.top(r.topContributions), r.itemId);
          return create(PredictBatchResultSchema, { prediction: predictionMessage(p), shopperKey: r.shopperKey });
        } catch (error) {
          const status = toGrpcStatus(error);
          // Dependencies down fail the whole call (the client retries it); per-shopper problems stay per shopper.
          if (status.code === grpc.status.UNAVAILABLE || status.code === grpc.status.INTERNAL) throw error;
          return create(PredictBatchResultSchema, { errorCode: status.code, errorMessage: status.details, shopperKey: r.shopperKey });
        }
      }),
    );
    return create(PredictBatchResponseSchema, { results });
  }

  /** Server streaming: this replica's hub feeds it, whichever replica scored the click (ADR 0072). */
  watchPredictions(call: grpc.ServerWritableStream<WatchPredictionsRequest, WatchPredictionsResponse>, finish: (error?: unknown) => void): void {
    const request = call.request;
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const close = (error?: unknown) => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      this.metrics.watchers.set(this.hub.watchers);
      finish(error);
    };
    call.on('cancelled', () => close());
    call.on('error', () => close());
    const begin = async () => {
      const all = request.all;
      if (all && request.shopperKeys.length > 0) throw new InvalidInputError('name shoppers or set all, not both', 'all');
      if (!all && request.shopperKeys.length === 0) throw new InvalidInputError('shopper_keys is empty: name shoppers to watch, or set all (needs the "watch-all" scope)', 'shopper_keys');
      if (request.shopperKeys.length > MAX_WATCHED_SHOPPERS) throw new InvalidInputError(`${request.shopperKeys.length} shoppers; at most ${MAX_WATCHED_SHOPPERS} per stream`, 'shopper_keys');
      request.shopperKeys.forEach((k, i) => Predictor.validate(k, '', `shopper_keys[${i}]`));
      await this.edge.authorize(call.metadata, [all ? 'watch-all' : 'read']);
      if (this.hub.watchers >= this.config.maxWatchers) throw new OverloadedError(`${this.hub.watchers} watchers are open (PREDICTION_MAX_WATCHERS); retry later`, 5000);
    };
    begin().then(
      () => {
        if (closed) return;
        unsubscribe = this.hub.add({
          shoppers: request.all ? undefined : new Set(request.shopperKeys),
          send: (update: PredictionUpdate) => {
            if (closed) return;
            if (call.writableLength > MAX_WATCH_BACKLOG) {
              close(new OverloadedError(`this watcher fell ${MAX_WATCH_BACKLOG} messages behind; reconnect`, 1000));
              return;
            }
            call.write(create(WatchPredictionsResponseSchema, { prediction: update }));
          },
        });
        this.metrics.watchers.set(this.hub.watchers);
        // Headers now, so a client knows the stream is open before the first prediction.
        call.sendMetadata(new grpc.Metadata());
      },
      (error: unknown) => {
        log('debug', 'watch refused', { error: String(error) });
        close(error);
      },
    );
  }
}

import { create } from '@bufbuild/protobuf';
import { requireScope, type ApiKeyRecord } from '@clickwise/api-keys';
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
import { ClickwiseError, InvalidInputError, OverloadedError, UnavailableError } from '@clickwise/errors';
import { addHealth, addReflection, addService, bindServer, shutdownServer, type GrpcHealth } from '@clickwise/grpc';
import { apiKeyFromGrpc, log, toGrpcStatus, type ApiKeyAuthority, type Health } from '@clickwise/service';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { PredictionConfig } from './config.js';
import type { PredictionMetrics } from './prediction.metrics.js';
import { Predictor, type PredictionResult } from './predictor.js';
import type { WatchHub } from './watch-hub.js';

/** What the unary and streaming calls share. */
type SurfaceCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'metadata' | 'getDeadline'>;

const SERVICE = PredictionService.typeName;
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

/** Passed deadline of a call, as the error grpc-js would give (it also ends the call itself). */
function deadlinePassed(call: SurfaceCall): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) && ms <= Date.now();
}

/** Plaintext, TLS (PREDICTION_TLS_CERT + PREDICTION_TLS_KEY) or mutual TLS (+ PREDICTION_TLS_CLIENT_CA). */
export function serverCredentials(config: Pick<PredictionConfig, 'tlsCertFile' | 'tlsKeyFile' | 'tlsClientCaFile'>): grpc.ServerCredentials {
  const { tlsCertFile, tlsKeyFile, tlsClientCaFile } = config;
  if (!tlsCertFile && !tlsKeyFile) {
    if (tlsClientCaFile) throw new InvalidInputError('PREDICTION_TLS_CLIENT_CA needs PREDICTION_TLS_CERT and PREDICTION_TLS_KEY', 'PREDICTION_TLS_CLIENT_CA');
    return grpc.ServerCredentials.createInsecure();
  }
  if (!tlsCertFile || !tlsKeyFile) throw new InvalidInputError('set both PREDICTION_TLS_CERT and PREDICTION_TLS_KEY (or neither)', tlsCertFile ? 'PREDICTION_TLS_KEY' : 'PREDICTION_TLS_CERT');
  const ca = tlsClientCaFile ? readFileSync(tlsClientCaFile) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: readFileSync(tlsCertFile), private_key: readFileSync(tlsKeyFile) }], ca !== null);
}

/** The gRPC edge: PredictionService, health checking and reflection; errors mapped once (toGrpcStatus). */
export class PredictionGrpcServer {
  private readonly server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  private health: GrpcHealth | undefined;
  private inflight = 0;
  private boundPort = 0;

  constructor(
    private readonly predictor: Predictor,
    private readonly keys: ApiKeyAuthority,
    private readonly hub: WatchHub,
    private readonly config: PredictionConfig,
    private readonly healthService: Health,
    private readonly metrics: PredictionMetrics,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    addService(this.server, PredictionService, {
      predict: (call, callback) => {
        void this.unary('Predict', call, () => this.predict(call.metadata, call.request)).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
      predictBatch: (call, callback) => {
        void this.unary('PredictBatch', call, () => this.predictBatch(call, call.request.requests)).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toGrpcStatus(error)),
        );
      },
      watchPredictions: (call) => this.watchPredictions(call),
    });
    this.health = addHealth(this.server, [SERVICE], this.healthService);
    addReflection(this.server, [file_clickwise_v1_prediction]);
    this.boundPort = await bindServer(this.server, `${this.config.host}:${this.config.grpcPort}`, serverCredentials(this.config));
    return this.boundPort;
  }

  async stop(graceMs: number): Promise<void> {
    this.health?.set(false);
    await shutdownServer(this.server, graceMs);
  }

  /**
   * The last key this edge authenticated, reused for API_KEY_CACHE_TTL_MS like ApiKeyAuthority's
   * cache but without its SHA-256 and promise per call (one busy client sends one key).
   */
  private lastKey: { secret: string; record: ApiKeyRecord; untilMs: number } | undefined;

  private async authorize(metadata: grpc.Metadata, scope: 'read' | 'watch-all'): Promise<ApiKeyRecord> {
    const secret = apiKeyFromGrpc(metadata);
    const last = this.lastKey;
    if (last && secret === last.secret && Date.now() < last.untilMs) {
      requireScope(last.record, [scope]);
      return last.record;
    }
    let key: ApiKeyRecord;
    try {
      key = await this.keys.authenticate(secret);
      if (secret && this.config.apiKeyCacheTtlMs > 0) this.lastKey = { secret, record: key, untilMs: Date.now() + this.config.apiKeyCacheTtlMs };
    } catch (error) {
      if (error instanceof ClickwiseError) throw error;
      throw new UnavailableError(`Redis (API keys) did not answer: ${error instanceof Error ? error.message : String(error)}`, 1000);
    }
    requireScope(key, [scope]);
    return key;
  }

  /** Admission (RESOURCE_EXHAUSTED past PREDICTION_MAX_INFLIGHT), metrics, one error mapping. */
  private async unary<T>(method: string, call: SurfaceCall, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let status = 'OK';
    if (this.inflight >= this.config.maxInflight) {
      this.metrics.requests.inc({ method, status: 'RESOURCE_EXHAUSTED' });
      throw new OverloadedError(`${this.inflight} calls are in progress (PREDICTION_MAX_INFLIGHT ${this.config.maxInflight}); retry shortly`, 50);
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

  private top(n: number): number {
    if (n > MAX_TOP) throw new InvalidInputError(`top_contributions is ${n}; at most ${MAX_TOP}`, 'top_contributions');
    return n === 0 ? this.config.defaultTopContributions : n;
  }

  private async predict(metadata: grpc.Metadata, request: PredictRequest) {
    await this.authorize(metadata, 'read');
    const result = await this.predictor.predict(request.shopperKey, request.sessionId, this.top(request.topContributions), request.itemId);
    return create(PredictResponseSchema, { prediction: predictionMessage(result) });
  }

  private async predictBatch(call: SurfaceCall, requests: PredictRequest[]) {
    await this.authorize(call.metadata, 'read');
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
  private watchPredictions(call: grpc.ServerWritableStream<WatchPredictionsRequest, WatchPredictionsResponse>): void {
    const request = call.request;
    let closed = false;
    let unsubscribe: (() => void) | undefined;
    const close = (error?: unknown) => {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      this.metrics.watchers.set(this.hub.watchers);
      this.metrics.requests.inc({ method: 'WatchPredictions', status: error === undefined ? 'OK' : grpc.status[toGrpcStatus(error).code] });
      if (error !== undefined) call.emit('error', toGrpcStatus(error));
      else call.end();
    };
    call.on('cancelled', () => close());
    call.on('error', () => close());
    const begin = async () => {
      const all = request.all;
      if (all && request.shopperKeys.length > 0) throw new InvalidInputError('name shoppers or set all, not both', 'all');
      if (!all && request.shopperKeys.length === 0) throw new InvalidInputError('shopper_keys is empty: name shoppers to watch, or set all (needs the "watch-all" scope)', 'shopper_keys');
      if (request.shopperKeys.length > MAX_WATCHED_SHOPPERS) throw new InvalidInputError(`${request.shopperKeys.length} shoppers; at most ${MAX_WATCHED_SHOPPERS} per stream`, 'shopper_keys');
      request.shopperKeys.forEach((k, i) => Predictor.validate(k, '', `shopper_keys[${i}]`));
      await this.authorize(call.metadata, all ? 'watch-all' : 'read');
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

import { defineConfig, env, flag, port, positiveInt, serviceConfig, z } from '@clickwise/config';

/** The prediction service's configuration, parsed once from the environment by the kit's runService. */
export class PredictionConfig extends defineConfig('prediction', {
  ...serviceConfig,
  /** Ops HTTP: health, metrics. */
  httpPort: env('HTTP_PORT', port(8084)),
  grpcPort: env('GRPC_PORT', port(50053)),
  /** The registry model whose champion is served. */
  model: env('PREDICTION_MODEL', z.string().min(1).default('propensity')),
  /** The registry model whose champion gives each prediction its segment (libs/segments; none served: no segment). */
  segmentsModel: env('PREDICTION_SEGMENTS_MODEL', z.string().min(1).default('segments')),
  /**
   * A challenger version of PREDICTION_MODEL served beside the champion: in `shadow` mode scored on
   * every call and reported (not the answer); in `share` mode the answer for a deterministic share of
   * shoppers (a hash of the shopper key below PREDICTION_CHALLENGER_SHARE).
   */
  challengerVersion: env('PREDICTION_CHALLENGER_VERSION', z.string().min(1).optional()),
  challengerMode: env('PREDICTION_CHALLENGER_MODE', z.enum(['shadow', 'share']).default('shadow')),
  challengerShare: env('PREDICTION_CHALLENGER_SHARE', z.coerce.number().min(0).max(1).default(0.1)),
  /** Consumer group of the features.updated.v1 consumer (replicas share the per-click scoring). */
  groupId: env('PREDICTION_GROUP_ID', z.string().min(1).default('prediction')),
  /** Predict/PredictBatch calls worked on at once before new ones get RESOURCE_EXHAUSTED. */
  maxInflight: env('PREDICTION_MAX_INFLIGHT', positiveInt(512)),
  /** Most shoppers in one PredictBatch call. */
  maxBatch: env('PREDICTION_MAX_BATCH', positiveInt(1000)),
  /** Contributions returned when the request asks for none in particular. */
  defaultTopContributions: env('PREDICTION_TOP_CONTRIBUTIONS', positiveInt(5)),
  /**
   * A shopper with no stored features: false (default) answers NOT_FOUND; true scores the empty
   * feature vector (the model's prior for a new shopper).
   */
  scoreUnknownShoppers: env('PREDICTION_SCORE_UNKNOWN', flag(false)),
  /** How long a Redis feature read may take before the call is answered UNAVAILABLE (ms). */
  redisTimeoutMs: env('PREDICTION_REDIS_TIMEOUT_MS', positiveInt(1000)),
  /**
   * Feature snapshots kept in memory for Predict, dropped by each features.updated.v1 notice of
   * their shopper or item (ADR 0075); 0 reads Redis on every call.
   */
  featureCacheEntries: env('PREDICTION_FEATURE_CACHE_ENTRIES', z.coerce.number().int().min(0).default(10_000)),
  /** Longest a cached snapshot is served (ms): bounds what no notice announces (erasures, expiry). */
  featureCacheMaxAgeMs: env('PREDICTION_FEATURE_CACHE_MAX_AGE_MS', positiveInt(5_000)),
  /**
   * Shoppers whose clicks came before any model was loaded, kept (with their event ids) and scored
   * once the first champion loads; past it, the oldest are dropped (counted as skipped).
   */
  waitingShoppers: env('PREDICTION_WAITING_SHOPPERS', z.coerce.number().int().min(0).default(50_000)),
  /** Joined per-click predictions per model version the live ROC-AUC and ECE are computed over (ADR 0079). */
  liveQualityWindow: env('PREDICTION_LIVE_QUALITY_WINDOW', positiveInt(10_000)),
  /** No click of a session for this long (event time, ms): it ended, its predictions without a purchase after them are negatives. */
  liveQualitySessionGapMs: env('PREDICTION_LIVE_QUALITY_SESSION_GAP_MS', positiveInt(30 * 60_000)),
  /** Whether the service scores every click (features.updated.v1 → predictions.updated.v1). */
  perClick: env('PREDICTION_PER_CLICK', flag(true)),
  /** Most open WatchPredictions streams. */
  maxWatchers: env('PREDICTION_MAX_WATCHERS', positiveInt(1000)),
  /** Verified artifact copies by SHA-256 (none: every load reads Kafka). */
  modelCacheDir: env('MODEL_CACHE_DIR', z.string().min(1).optional()),
  /** How long start-up waits to have read models.published.v1 (ms). */
  registryCatchUpMs: env('PREDICTION_REGISTRY_CATCHUP_MS', positiveInt(30_000)),
  /** TLS for gRPC: the server's certificate chain and key (PEM files); both or neither. */
  tlsCertFile: env('PREDICTION_TLS_CERT', z.string().min(1).optional()),
  tlsKeyFile: env('PREDICTION_TLS_KEY', z.string().min(1).optional()),
  /** Mutual TLS: CA bundle (PEM) client certificates must chain to; clients without one are refused. */
  tlsClientCaFile: env('PREDICTION_TLS_CLIENT_CA', z.string().min(1).optional()),
  kafkaLingerMs: env('KAFKA_LINGER_MS', z.coerce.number().int().min(0).default(1)),
  /** How long an API key lookup is reused before Redis is asked again (ms; 0 = no cache). */
  apiKeyCacheTtlMs: env('API_KEY_CACHE_TTL_MS', z.coerce.number().int().min(0).max(60_000).default(1000)),
}) {}

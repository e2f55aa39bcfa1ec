import { defineConfig, env, flag, port, positiveInt, serviceConfig, z } from '@clickwise/config';
import { workersSetting } from '@clickwise/service';

/** The recommender's configuration, parsed once from the environment by the kit's runService. */
export class RecommenderConfig extends defineConfig('recommender', {
  ...serviceConfig,
  /** Ops HTTP: health, metrics. */
  httpPort: env('HTTP_PORT', port(8085)),
  grpcPort: env('GRPC_PORT', port(50054)),
  /**
   * Processes serving the ports (node:cluster, the kit's runClustered; ADR 0048): a count, or
   * `auto` for one per core the process may use (at most 4). Every worker is a whole replica (the
   * live index is in Redis; its events consumer is in the service's group), so a call costs the
   * same CPU in any of them; one process uses at most one core for its calls.
   */
  workers: env('RECOMMENDER_WORKERS', workersSetting(1)),
  /** The registry model whose champion is the sequence model (libs/sequence), hot-swapped. */
  model: env('RECOMMENDER_MODEL', z.string().min(1).default('next-item')),
  /** Consumer group of the clickstream.events.v1 consumer (replicas share the index updates). */
  groupId: env('RECOMMENDER_GROUP_ID', z.string().min(1).default('recommender')),
  /** Recommend/SimilarItems calls worked on at once before new ones get RESOURCE_EXHAUSTED. */
  maxInflight: env('RECOMMENDER_MAX_INFLIGHT', positiveInt(512)),
  /** Live-index reads sent to Redis at once (Redis runs one script at a time); the rest queue (ADR 0100). */
  maxIndexReads: env('RECOMMENDER_MAX_INDEX_READS', positiveInt(16)),
  /** Reads queued for a slot; past this a call gets RESOURCE_EXHAUSTED with retry-after at once. */
  maxQueuedReads: env('RECOMMENDER_MAX_QUEUED_READS', positiveInt(256)),
  /** A read that waited longer than this for a slot gets RESOURCE_EXHAUSTED instead of running (ms). */
  maxQueueWaitMs: env('RECOMMENDER_MAX_QUEUE_WAIT_MS', positiveInt(250)),
  /**
   * How long a cached item neighbourhood or popular row read at an older index version may still
   * serve (ms; ADR 0100). A request's own session is read every time; 0: exact (only while the
   * index has not changed).
   */
  indexCacheStaleMs: env('RECOMMENDER_INDEX_CACHE_STALE_MS', z.coerce.number().int().min(0).max(60_000).default(500)),
  /** Item neighbourhoods kept in the process's cache. */
  indexCacheItems: env('RECOMMENDER_INDEX_CACHE_ITEMS', positiveInt(20_000)),
  /** Items returned when a request asks for k = 0. */
  defaultK: env('RECOMMENDER_DEFAULT_K', z.coerce.number().int().min(1).max(100).default(10)),
  /** How long a Redis index read or write may take before the call is answered UNAVAILABLE (ms). */
  redisTimeoutMs: env('RECOMMENDER_REDIS_TIMEOUT_MS', positiveInt(1000)),
  /**
   * How long an idle fetch of the events consumer waits (ms). Kafka answers as soon as one byte is
   * there (minBytes 1), so this adds no latency to a click; it only stops idle polling (ADR 0076, 0100).
   */
  fetchWaitMs: env('RECOMMENDER_FETCH_WAIT_MS', positiveInt(200)),
  /** Verified artifact copies by SHA-256 (none: every load reads Kafka). */
  modelCacheDir: env('MODEL_CACHE_DIR', z.string().min(1).optional()),
  /** How long start-up waits to have read models.published.v1 (ms). */
  registryCatchUpMs: env('RECOMMENDER_REGISTRY_CATCHUP_MS', positiveInt(30_000)),
  /** How long start-up waits to have applied every erasure already written (ms). */
  erasureCatchUpMs: env('RECOMMENDER_ERASURE_CATCHUP_MS', positiveInt(60_000)),
  /** How long start-up waits to have read catalog.items.v1 to its end (ms). */
  catalogCatchUpMs: env('RECOMMENDER_CATALOG_CATCHUP_MS', positiveInt(60_000)),
  /** Model versions the click-through metrics keep apart; later ones are counted as "other". */
  ctrMaxVersions: env('RECOMMENDER_CTR_MAX_VERSIONS', positiveInt(20)),
  /** TLS for gRPC: the server's certificate chain and key (PEM files); both or neither. */
  tlsCertFile: env('RECOMMENDER_TLS_CERT', z.string().min(1).optional()),
  tlsKeyFile: env('RECOMMENDER_TLS_KEY', z.string().min(1).optional()),
  /** Mutual TLS: CA bundle (PEM) client certificates must chain to; clients without one are refused. */
  tlsClientCaFile: env('RECOMMENDER_TLS_CLIENT_CA', z.string().min(1).optional()),
  /** Publish every served Recommend list to recommendations.served.v1 (the status page's feed; ADR 0124). */
  publishServed: env('RECOMMENDER_PUBLISH_SERVED', flag(true)),
  kafkaLingerMs: env('KAFKA_LINGER_MS', z.coerce.number().int().min(0).default(1)),
  /** How long an API key lookup is reused before Redis is asked again (ms; 0 = no cache). */
  apiKeyCacheTtlMs: env('API_KEY_CACHE_TTL_MS', z.coerce.number().int().min(0).max(60_000).default(1000)),
}) {}

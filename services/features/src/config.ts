import { defineConfig, env, flag, port, positiveInt, serviceConfig, z } from '@clickwise/config';

/** The features service's configuration, parsed once from the environment by the kit's runService. */
export class FeaturesConfig extends defineConfig('features', {
  ...serviceConfig,
  /** Ops HTTP: health, metrics, status, erasure. */
  httpPort: env('HTTP_PORT', port(8082)),
  /** Consumer group of the events consumer (replicas share the work). */
  groupId: env('FEATURES_GROUP_ID', z.string().min(1).default('features')),
  /** Consumer group session timeout (ms): how soon a crashed replica's partitions move on. */
  sessionTimeoutMs: env('FEATURES_SESSION_TIMEOUT_MS', positiveInt(10_000)),
  /** Partitions applied at the same time (their Kafka and Redis round trips overlap). */
  partitionsConcurrently: env('FEATURES_PARTITIONS_CONCURRENTLY', positiveInt(6)),
  /** Most events applied in one Redis script. */
  maxBatchRecords: env('FEATURES_MAX_BATCH_RECORDS', positiveInt(1000)),
  /** Shopper and session states kept in memory per partition. */
  cacheEntries: env('FEATURES_CACHE_ENTRIES', positiveInt(10_000)),
  /**
   * How long an idle fetch waits at the broker (ms). Kafka answers as soon as one byte is there
   * (minBytes 1), so this adds no latency when events arrive; at 10 ms an idle instance spent
   * 6.7 % of a core asking (ADR 0083).
   */
  fetchWaitMs: env('FEATURES_FETCH_WAIT_MS', positiveInt(200)),
  /** How often the Redis sentinel is checked, to notice a lost state while idle (ms). */
  lossCheckMs: env('FEATURES_LOSS_CHECK_MS', positiveInt(1000)),
  /** How long start-up waits to have read every erasure before applying events (ms). */
  erasureCatchUpMs: env('FEATURES_ERASURE_CATCHUP_MS', positiveInt(30_000)),
  /** Whether each FeatureUpdate also carries the shopper and session values the event fed (costs ~40% of throughput); by default only the snapshot version (readers take the vector from Redis). */
  noticeValues: env('FEATURES_NOTICE_VALUES', flag(false)),
  kafkaLingerMs: env('KAFKA_LINGER_MS', z.coerce.number().int().min(0).default(1)),
  /**
   * Static group membership (ADR 0044): this instance's stable, unique id in the events group, so a
   * restarted instance gets its partitions back at once (the confluent client; kafkajs ignores it).
   */
  instanceId: env('FEATURES_INSTANCE_ID', z.string().min(1).optional()),
  /** The registry model whose champion scores review texts (ADR 0058); empty: none (sentiment features stay absent). */
  sentimentModel: env('FEATURES_SENTIMENT_MODEL', z.string().default('sentiment')),
  /** A folder for verified copies of model artifacts (the registry's local cache); unset: none. */
  modelCacheDir: env('MODEL_CACHE_DIR', z.string().min(1).optional()),
}) {}

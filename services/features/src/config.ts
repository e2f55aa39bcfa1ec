import { flag, parseConfig, port, positiveInt, serviceEnv, z } from '@clickwise/config';

const schema = z.object({
  ...serviceEnv,
  /** Ops HTTP: health, metrics, status, erasure. */
  HTTP_PORT: port(8082),
  /** Consumer group of the events consumer (replicas share the work). */
  FEATURES_GROUP_ID: z.string().min(1).default('features'),
  /** Consumer group session timeout (ms): how soon a crashed replica's partitions move on. */
  FEATURES_SESSION_TIMEOUT_MS: positiveInt(10_000),
  /** Partitions applied at the same time (their Kafka and Redis round trips overlap). */
  FEATURES_PARTITIONS_CONCURRENTLY: positiveInt(6),
  /** Most events applied in one Redis script. */
  FEATURES_MAX_BATCH_RECORDS: positiveInt(1000),
  /** Shopper and session states kept in memory per partition. */
  FEATURES_CACHE_ENTRIES: positiveInt(10_000),
  /** How long a fetch waits for more records (ms): latency vs batch size. */
  FEATURES_FETCH_WAIT_MS: positiveInt(10),
  /** How often the Redis sentinel is checked, to notice a lost state while idle (ms). */
  FEATURES_LOSS_CHECK_MS: positiveInt(1000),
  /** How long start-up waits to have read every erasure before applying events (ms). */
  FEATURES_ERASURE_CATCHUP_MS: positiveInt(30_000),
  /** Whether each FeatureUpdate also carries the shopper and session values the event fed (costs ~40% of throughput); by default only the snapshot version (readers take the vector from Redis). */
  FEATURES_NOTICE_VALUES: flag(false),
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).default(1),
});

export type FeaturesSettings = z.output<typeof schema>;

/** The features service's configuration, parsed once from the environment in main.ts. */
export class FeaturesConfig {
  readonly kafkaBrokers: string[];
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly httpPort: number;
  readonly host: string;
  readonly topicPrefix: string;
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly partitionsConcurrently: number;
  readonly maxBatchRecords: number;
  readonly cacheEntries: number;
  readonly fetchWaitMs: number;
  readonly lossCheckMs: number;
  readonly erasureCatchUpMs: number;
  readonly noticeValues: boolean;
  readonly kafkaLingerMs: number;
  readonly dlqMaxPayloadBytes: number;
  readonly shutdownGraceMs: number;
  readonly otlpEndpoint: string | undefined;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';

  constructor(s: FeaturesSettings) {
    this.kafkaBrokers = s.KAFKA_BROKERS;
    this.redisUrl = s.REDIS_URL;
    this.redisKeyPrefix = s.REDIS_KEY_PREFIX;
    this.httpPort = s.HTTP_PORT;
    this.host = s.HOST;
    this.topicPrefix = s.KAFKA_TOPIC_PREFIX;
    this.groupId = s.FEATURES_GROUP_ID;
    this.sessionTimeoutMs = s.FEATURES_SESSION_TIMEOUT_MS;
    this.partitionsConcurrently = s.FEATURES_PARTITIONS_CONCURRENTLY;
    this.maxBatchRecords = s.FEATURES_MAX_BATCH_RECORDS;
    this.cacheEntries = s.FEATURES_CACHE_ENTRIES;
    this.fetchWaitMs = s.FEATURES_FETCH_WAIT_MS;
    this.lossCheckMs = s.FEATURES_LOSS_CHECK_MS;
    this.erasureCatchUpMs = s.FEATURES_ERASURE_CATCHUP_MS;
    this.noticeValues = s.FEATURES_NOTICE_VALUES;
    this.kafkaLingerMs = s.KAFKA_LINGER_MS;
    this.dlqMaxPayloadBytes = s.DLQ_MAX_PAYLOAD_BYTES;
    this.shutdownGraceMs = s.SHUTDOWN_GRACE_MS;
    this.otlpEndpoint = s.OTEL_EXPORTER_OTLP_ENDPOINT;
    this.logLevel = s.LOG_LEVEL;
  }

  /** Parses `env`; throws ConfigError listing every bad key. */
  static load(env: NodeJS.ProcessEnv = process.env): FeaturesConfig {
    return new FeaturesConfig(parseConfig('features', schema, env));
  }
}

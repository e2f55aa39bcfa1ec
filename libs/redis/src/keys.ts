/**
 * Every Redis key the platform uses is built here and nowhere else; the layout is a public contract
 * documented in docs/specs/redis-keys.md. Keys are plain text (never protobuf bytes). A prefix
 * (default `cw:`) lets tests and several deployments share one Redis without touching each other.
 */
export class RedisKeys {
  constructor(readonly prefix = 'cw:') {}

  /** HASH: one API key's record, addressed by the SHA-256 (hex) of the secret key. */
  apiKey(sha256Hex: string): string {
    return `${this.prefix}apikey:${sha256Hex}`;
  }

  /** HASH: API key id → SHA-256 (hex) of its secret, for listing and revoking by id. */
  apiKeyIndex(): string {
    return `${this.prefix}apikeys`;
  }

  /** STRING counter: events one API key sent in one second (fixed window, unix seconds). */
  rateLimit(keyId: string, unixSecond: number): string {
    return `${this.prefix}ratelimit:${keyId}:${unixSecond}`;
  }

  /**
   * HASH: the event ids ingestion first saw in one generation (a span of `generationMs` of Redis's
   * clock, number `generation` since the epoch): field = event id, value `1` once written to Kafka
   * or `<claim token>@<claim expiry, unix ms>` while a request writes it (ADR 0028).
   */
  dedupeGeneration(generationMs: number, generation: number): string {
    return `${this.dedupeGenerationPrefix(generationMs)}${generation}`;
  }

  /** What `dedupeGeneration` puts before the generation number (the dedupe scripts append it). */
  dedupeGenerationPrefix(generationMs: number): string {
    return `${this.prefix}ingest:dedupe:${generationMs}:`;
  }

  /**
   * STRING (JSON): ingestion's proof that the dedupe ids above are complete (written once they
   * were rebuilt from Kafka, ADR 0024). Missing: Redis lost them, and claims are refused.
   */
  dedupeSentinel(): string {
    return `${this.prefix}ingest:dedupe-sentinel`;
  }

  /** STRING: the trainer's run lease, `<fencing token>|<instance id>`, set NX with a TTL and renewed by its holder (ADR 0060). */
  trainerLease(): string {
    return `${this.prefix}trainer:lease`;
  }

  /** STRING counter: the last fencing token handed out with the trainer's lease (only grows). */
  trainerFence(): string {
    return `${this.prefix}trainer:fence`;
  }

  /** STRING (JSON): what the trainer trained up to (offsets per partition) and its last run; written only by the lease holder. */
  trainerState(): string {
    return `${this.prefix}trainer:state`;
  }
}

import { UnauthenticatedError } from '@clickwise/errors';
import { hashKey, type ApiKeyRecord } from './api-key.store.js';

export interface ApiKeyCacheOptions {
  /** How long a lookup's answer is reused (ms), counted from when the lookup started. 0 turns the cache off. */
  ttlMs: number;
  /** How long a refusal (unknown or revoked key) is reused (ms); default: ttlMs. */
  negativeTtlMs?: number;
  /** Most secrets remembered; past it the oldest entry goes (default 10,000). */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  answer: Promise<ApiKeyRecord>;
  expiresAtMs: number;
}

/**
 * A short-lived in-process cache in front of `ApiKeyStore.authenticate`: a key's record (or its
 * refusal) is reused for `ttlMs`, so a busy caller costs one Redis lookup per TTL instead of one
 * per request. Revocation therefore takes effect within `ttlMs` of the revoke (an answer is kept
 * until `ttlMs` after its lookup *started*, so a lookup racing the revoke is covered too).
 * Concurrent lookups of one secret share one Redis call. Only answers are cached: a lookup that
 * failed for another reason (Redis down) is forgotten at once. Entries are keyed by the secret's
 * SHA-256, never by the secret; the number of entries is bounded, so random keys cannot grow it.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Lookups that went to the store (for tests and metrics). */
  misses = 0;
  hits = 0;

  constructor(
    private readonly lookup: (secret: string | undefined) => Promise<ApiKeyRecord>,
    options: ApiKeyCacheOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.negativeTtlMs = Math.min(options.negativeTtlMs ?? options.ttlMs, options.ttlMs);
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    if (!secret || this.ttlMs <= 0) return this.lookup(secret);
    const id = hashKey(secret);
    const nowMs = this.now();
    const cached = this.entries.get(id);
    if (cached && cached.expiresAtMs > nowMs) {
      this.hits++;
      return cached.answer;
    }
    if (cached) this.entries.delete(id);
    this.misses++;
    const entry: Entry = { answer: this.lookup(secret), expiresAtMs: nowMs + this.ttlMs };
    this.entries.set(id, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    entry.answer.then(
      () => undefined,
      (error: unknown) => {
        if (this.entries.get(id) !== entry) return;
        if (error instanceof UnauthenticatedError) entry.expiresAtMs = Math.min(entry.expiresAtMs, nowMs + this.negativeTtlMs);
        else this.entries.delete(id);
      },
    );
    return entry.answer;
  }

  /** Forgets everything (e.g. after revoking a key in this process). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

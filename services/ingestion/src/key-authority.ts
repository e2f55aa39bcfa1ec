import { ApiKeyCache, type ApiKeyRecord, type ApiKeyStore } from '@clickwise/api-keys';
import { KeyAuthority } from './ingestion.ports.js';

/**
 * The shared API key store (libs/api-keys) as IngestionService's KeyAuthority, with lookups cached
 * in process for `cacheTtlMs` (so a revoke takes effect within that time; 0 = ask Redis every time).
 */
export class ApiKeyAuthority extends KeyAuthority {
  private readonly cache: ApiKeyCache;

  constructor(
    private readonly store: ApiKeyStore,
    cacheTtlMs: number,
  ) {
    super();
    this.cache = new ApiKeyCache((secret) => store.authenticate(secret), { ttlMs: cacheTtlMs });
  }

  authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    return this.cache.authenticate(secret);
  }

  consumeRate(record: ApiKeyRecord, events: number): Promise<void> {
    return this.store.consumeRate(record, events);
  }
}

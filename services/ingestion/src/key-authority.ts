import type { ApiKeyRecord, ApiKeyStore } from '@clickwise/api-keys';
import { KeyAuthority } from './ingestion.ports.js';

/** The shared API key store (libs/api-keys) as IngestionService's KeyAuthority. */
export class ApiKeyAuthority extends KeyAuthority {
  constructor(private readonly store: ApiKeyStore) {
    super();
  }

  authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    return this.store.authenticate(secret);
  }

  consumeRate(record: ApiKeyRecord, events: number): Promise<void> {
    return this.store.consumeRate(record, events);
  }
}

import type { ApiKeyRecord } from '@clickwise/api-keys';
import type { OutgoingRecord } from '@clickwise/kafka';

/**
 * What IngestionService needs from the outside world, as abstract classes: Nest injects the real
 * adapters (Kafka, Redis), unit tests pass plain fakes.
 */

/** Where accepted events and dead letters are written; each call resolves once Kafka acknowledged. */
export abstract class EventLog {
  abstract writeEvents(records: OutgoingRecord[]): Promise<void>;
  abstract writeDeadLetters(records: OutgoingRecord[]): Promise<void>;
}

/** Where accepted catalogue items (catalog.items.v1) are written; resolves once Kafka acknowledged. */
export abstract class CatalogLog {
  /** The topic's full name (with the prefix), for dead letters of refused items. */
  abstract readonly topic: string;
  abstract writeItems(records: OutgoingRecord[]): Promise<void>;
}

/** `new`: claimed for this request; `duplicate`: already written; `in_flight`: claimed by another request. */
export type ClaimStatus = 'new' | 'duplicate' | 'in_flight';

/**
 * Event ids seen recently. Two phases so a failed write never marks an id as seen: `claim` reserves
 * ids for a short time, `commit` remembers them for the dedupe window once Kafka acknowledged, and
 * `release` forgets the claim when the write failed (a retry is then accepted).
 */
export abstract class DedupeStore {
  abstract claim(eventIds: readonly string[], token: string): Promise<ClaimStatus[]>;
  abstract commit(eventIds: readonly string[]): Promise<void>;
  abstract release(eventIds: readonly string[], token: string): Promise<void>;
}

/** Who is calling and how fast they may go. */
export abstract class KeyAuthority {
  abstract authenticate(secret: string | undefined): Promise<ApiKeyRecord>;
  abstract consumeRate(record: ApiKeyRecord, events: number): Promise<void>;
}

import type { FeatureUpdate } from '@clickwise/contracts';

/** One shopper's notices of a batch, scored once. */
export interface CoalescedClicks {
  shopperKey: string;
  /** The session of the newest notice (the one the prediction is for). */
  sessionId: string;
  /** The item of the newest notice ('' when it had none). */
  itemId: string;
  /** Every covered event, in offset order, and each one's trace id (parallel arrays; '' when it had none). */
  eventIds: string[];
  traceIds: string[];
  /** Each covered notice's W3C traceparent (the features span) and acceptance time by ingestion (unix ms; 0 unknown). */
  traceparents: string[];
  acceptedAtMs: number[];
  /** Highest snapshot version among the notices: the read must see at least this state (ADR 0037). */
  snapshotVersion: number;
  newestEventTimeMs: number;
  /** Kafka timestamp of the oldest covered notice (ms). */
  firstNoticeMs: number;
}

/** The trace id of a W3C traceparent (`00-<32 hex>-<16 hex>-<2 hex>`), '' when there is none. */
export function traceIdOf(traceparent: string): string {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
  return m && m[1] !== '0'.repeat(32) ? m[1]! : '';
}

/**
 * Groups a batch of features.updated.v1 notices by shopper: under load the consumer fetches many
 * notices at once and each shopper is scored once for all of them, the prediction listing every
 * event it covers (ADR 0071). Shoppers keep the order of their first notice.
 */
export function coalesce(records: readonly { value: FeatureUpdate; timestampMs: number }[]): CoalescedClicks[] {
  const byShopper = new Map<string, CoalescedClicks>();
  for (const { value: n, timestampMs } of records) {
    if (n.shopperKey === '') continue;
    let group = byShopper.get(n.shopperKey);
    if (!group) {
      group = { shopperKey: n.shopperKey, sessionId: n.sessionId, itemId: n.itemId, eventIds: [], traceIds: [], traceparents: [], acceptedAtMs: [], snapshotVersion: 0, newestEventTimeMs: 0, firstNoticeMs: timestampMs };
      byShopper.set(n.shopperKey, group);
    }
    group.sessionId = n.sessionId || group.sessionId;
    group.itemId = n.itemId;
    group.eventIds.push(n.eventId);
    group.traceIds.push(traceIdOf(n.traceparent));
    group.traceparents.push(n.traceparent);
    group.acceptedAtMs.push(Number(n.acceptedAtMs));
    group.snapshotVersion = Math.max(group.snapshotVersion, Number(n.snapshotVersion));
    group.newestEventTimeMs = Math.max(group.newestEventTimeMs, Number(n.eventTimeMs));
    group.firstNoticeMs = Math.min(group.firstNoticeMs, timestampMs);
  }
  return [...byShopper.values()];
}

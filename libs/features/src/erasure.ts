/**
 * Shoppers to forget (from privacy.erasures.v1). Erasing shopper S at time R deletes S's shopper
 * and session state, and events of S with event time ≤ R never feed shopper or session features
 * again (in a rebuild or a late arrival). Item and category counts are anonymous aggregates and
 * keep those events, so both executors agree on them whenever the erasure arrives.
 */
export class ErasureList {
  private readonly erased = new Map<string, number>();

  /** Records an erasure; a later request for the same shopper moves R forward. */
  add(shopperKey: string, requestedAtMs: number): boolean {
    const before = this.erased.get(shopperKey);
    if (before !== undefined && before >= requestedAtMs) return false;
    this.erased.set(shopperKey, requestedAtMs);
    return true;
  }

  /** Whether an event of `shopperKey` at `timeMs` falls under an erasure. */
  covers(shopperKey: string, timeMs: number): boolean {
    const r = this.erased.get(shopperKey);
    return r !== undefined && timeMs <= r;
  }

  requestedAt(shopperKey: string): number | undefined {
    return this.erased.get(shopperKey);
  }

  get size(): number {
    return this.erased.size;
  }
}

/**
 * Every Redis key of the feature store (libs/feature-store writes and reads them; the layout is
 * docs/specs/feature-store-redis.md). Like every Redis key of the platform it is built in
 * libs/redis and nowhere else (docs/specs/redis-keys.md). Keys are plain text under
 * `<prefix>f:<definitions version>:`, so a new version of the definitions builds beside the old
 * one, and tests share a Redis under their own prefix.
 */
export class FeatureKeys {
  readonly base: string;

  constructor(
    readonly definitionsVersion: string,
    readonly prefix = 'cw:',
  ) {
    this.base = `${prefix}f:${definitionsVersion}:`;
  }

  /** HASH sentinel: exists while the state of this version exists (version, createdAtMs, epoch). */
  meta(): string {
    return `${this.base}meta`;
  }

  /** HASH: partition → "<next offset>|<stream clock ms>" for one source topic. */
  offsets(topic: string): string {
    return `${this.base}offsets:${topic}`;
  }

  /**
   * STRING: the notices of a partition's last applied range, written by the batch script with the
   * state and deleted once Kafka acknowledged them (`"<next offset>\n"` + the encoded records).
   */
  outbox(topic: string, partition: number): string {
    return `${this.base}outbox:${topic}:${partition}`;
  }

  /** STRING: a shopper's state (JSON). */
  shopper(shopperKey: string): string {
    return `${this.base}u:${shopperKey}`;
  }

  /** STRING: a session's state (JSON). Sessions are scoped by shopper; the length keeps it unambiguous. */
  session(shopperKey: string, sessionId: string): string {
    return `${this.base}s:${shopperKey.length}:${shopperKey}:${sessionId}`;
  }

  /** SET: the session ids a shopper has state for (what erasure deletes). */
  shopperSessions(shopperKey: string): string {
    return `${this.base}us:${shopperKey}`;
  }

  /** STRING: the erasure time (ms) last applied to a shopper's state, so a re-read erasure is not applied twice. */
  erased(shopperKey: string): string {
    return `${this.base}erased:${shopperKey}`;
  }

  /** HASH: an item's summed increments. */
  item(itemId: string): string {
    return `${this.base}i:${itemId}`;
  }

  /** HASH: a category's summed increments. */
  category(categoryId: string): string {
    return `${this.base}c:${categoryId}`;
  }

  /** SCAN pattern for one kind of entity key. */
  pattern(kind: 'shopper' | 'session' | 'item' | 'category'): string {
    const tag = { shopper: 'u', session: 's', item: 'i', category: 'c' }[kind];
    return `${escapeGlob(this.base)}${tag}:*`;
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

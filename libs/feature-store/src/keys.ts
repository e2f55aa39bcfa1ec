import { DAY_MS, LONGEST_WINDOW_MS } from '@clickwise/features';

/**
 * Every Redis key of the feature store, built here and nowhere else (layout and TTLs:
 * docs/specs/feature-store-redis.md). Keys are plain text under `<prefix>f:<definitions version>:`,
 * so a new version of the definitions builds beside the old one, and tests share a Redis under
 * their own prefix.
 *
 * (libs/redis builds the platform's other keys; these live beside the code that writes them until
 * the two are merged.)
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

const SECOND = 1000;

/**
 * Time to live (seconds), refreshed on every write. State older than the longest window plus the
 * allowed lateness can no longer change a value; a day of margin covers a consumer that lags.
 */
export const featureTtlSeconds = {
  shopper: Math.ceil((LONGEST_WINDOW_MS + 2 * DAY_MS) / SECOND),
  session: Math.ceil((2 * DAY_MS) / SECOND),
  shopperSessions: Math.ceil((LONGEST_WINDOW_MS + 2 * DAY_MS) / SECOND),
  shared: Math.ceil((LONGEST_WINDOW_MS + 2 * DAY_MS) / SECOND),
} as const;

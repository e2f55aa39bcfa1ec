/**
 * Every Redis key of the recommender's live index (libs/recs's Redis store; layout in
 * docs/specs/redis-keys.md and ADR 0090), under `<prefix>r:`. The store's Lua scripts build keys
 * of sessions and items they discover while running (a neighbour session, a co-visited item), so
 * they get the base and the tags below as arguments: the layout is written here only.
 */
export class RecsKeys {
  readonly base: string;

  /** The tag of each kind of key, after the base (what the Lua scripts append). */
  static readonly tags = {
    meta: 'meta',
    session: 's:',
    sessionShopper: 'so:',
    posting: 'p:',
    covis: 'c:',
    popular: 'pop',
    popularCategory: 'pc:',
    itemCategory: 'ic',
    shopperSessions: 'us:',
    shopperLatest: 'ul:',
    shopperBought: 'ub:',
    applied: 'applied',
  } as const;

  constructor(readonly prefix = 'cw:') {
    this.base = `${prefix}r:`;
  }

  /** HASH: per `<stream>|<partition>` of the events applied, the source position applied through (ADR 0048). */
  applied(): string {
    return `${this.base}${RecsKeys.tags.applied}`;
  }

  /** HASH: `landmark` (forward-decay landmark, ms), `newest` (newest event time, ms), `version` (batches applied) and `erasures` (erasures applied): readers validate their caches by the last two (ADR 0100). */
  meta(): string {
    return `${this.base}${RecsKeys.tags.meta}`;
  }

  /** LIST: a session's newest events, oldest first, each `<kind v|c|p><time ms>|<item id>`. */
  session(sessionId: string): string {
    return `${this.base}${RecsKeys.tags.session}${sessionId}`;
  }

  /** STRING: the shopper key of a session. */
  sessionShopper(sessionId: string): string {
    return `${this.base}${RecsKeys.tags.sessionShopper}${sessionId}`;
  }

  /** ZSET: an item's posting list, session id → newest event time (ms) of the item in it. */
  posting(itemId: string): string {
    return `${this.base}${RecsKeys.tags.posting}${itemId}`;
  }

  /** ZSET: an item's co-visited items → forward-decayed weight. */
  covis(itemId: string): string {
    return `${this.base}${RecsKeys.tags.covis}${itemId}`;
  }

  /** ZSET: item → forward-decayed popularity. */
  popular(): string {
    return `${this.base}${RecsKeys.tags.popular}`;
  }

  /** ZSET: item → forward-decayed popularity within one category. */
  popularCategory(categoryId: string): string {
    return `${this.base}${RecsKeys.tags.popularCategory}${categoryId}`;
  }

  /** HASH: item → the category its events carried. */
  itemCategory(): string {
    return `${this.base}${RecsKeys.tags.itemCategory}`;
  }

  /** SET: a shopper's session ids (what erasure deletes). */
  shopperSessions(shopperKey: string): string {
    return `${this.base}${RecsKeys.tags.shopperSessions}${shopperKey}`;
  }

  /** HASH: a shopper's latest session: `s` (id), `t` (time ms). */
  shopperLatest(shopperKey: string): string {
    return `${this.base}${RecsKeys.tags.shopperLatest}${shopperKey}`;
  }

  /** SET: items a shopper purchased. */
  shopperBought(shopperKey: string): string {
    return `${this.base}${RecsKeys.tags.shopperBought}${shopperKey}`;
  }

  /** SCAN pattern of one kind of key. */
  pattern(tag: (typeof RecsKeys.tags)[keyof typeof RecsKeys.tags]): string {
    return `${this.base.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}${tag}*`;
  }
}

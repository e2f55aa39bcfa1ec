import { RecsKeys, type RedisClient } from '@clickwise/redis';
import { VersionCache, type IndexVersion, type VersionCacheOptions } from './version-cache.js';
import { newestSessions } from './newest-sessions.js';
import {
  KIND_CODE,
  type AppliedBatch,
  KIND_OF_CODE,
  type ErasureResult,
  type IndexQuery,
  type IndexSlice,
  type IndexStats,
  type NeighbourSession,
  type PlannedBatch,
  type RecsStore,
  type StoredEvent,
  type WeightedItem,
} from './store.js';
import { itemNumber, itemNumbers } from './intern.js';

const T = RecsKeys.tags;

/** Shared Lua helpers: `fmt` writes a double exactly (Lua's own tostring keeps 14 digits). */
const LUA_PRELUDE = `
local base = ARGV[1]
local function fmt(x) return string.format('%.17g', x) end
local function itemOf(e) return string.sub(e, string.find(e, '|', 1, true) + 1) end
`;

/**
 * One call per batch: the steps of MemoryRecsStore.applySync, in the same order, with the numbers
 * planBatch computed (ARGV: base, caps, the source's mark field ('' without a source) and next
 * position, then 9 fields per event, the last its source position). Events below the position the
 * mark says was applied through are skipped; the mark moves to `next` in the same call (ADR 0048).
 * Returns { events applied, the mark before }.
 */
const APPLY_LUA = `${LUA_PRELUDE}
local sessionCap, postingCap, covisCap, window, backward = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local markField, nextText = ARGV[7], ARGV[8]
local covisHigh, postingHigh = math.floor(covisCap * 1.5), math.floor(postingCap * 1.5)
local metaKey = base .. '${T.meta}'
local markKey = base .. '${T.applied}'
local fromText = '0'
if markField ~= '' then fromText = redis.call('HGET', markKey, markField) or '0' end
local from = tonumber(fromText)
local newestText = redis.call('HGET', metaKey, 'newest') or '0'
local newest = tonumber(newestText)
local applied = 0
local i = 9
while i <= #ARGV do
  local shopper, sid, item, kind, tText, cat, f, pop = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], tonumber(ARGV[i+6]), ARGV[i+7]
  local fresh = markField == '' or tonumber(ARGV[i+8]) >= from
  local t = tonumber(tText)
  i = i + 9
  if fresh then
  applied = applied + 1
  local skey = base .. '${T.session}' .. sid
  redis.call('SET', base .. '${T.sessionShopper}' .. sid, shopper, 'NX')
  local entries = redis.call('LRANGE', skey, 0, -1)
  local paired, np = {}, 0
  for j = #entries, 1, -1 do
    if np >= window then break end
    local prev = itemOf(entries[j])
    if prev ~= item and not paired[prev] then
      paired[prev] = true
      np = np + 1
      local fk, bk = base .. '${T.covis}' .. prev, base .. '${T.covis}' .. item
      redis.call('ZINCRBY', fk, fmt(f / np), item)
      redis.call('ZINCRBY', bk, fmt(f * backward / np), prev)
      local n = redis.call('ZCARD', fk)
      if n > covisHigh then redis.call('ZREMRANGEBYRANK', fk, 0, n - covisCap - 1) end
      n = redis.call('ZCARD', bk)
      if n > covisHigh then redis.call('ZREMRANGEBYRANK', bk, 0, n - covisCap - 1) end
    end
  end
  redis.call('RPUSH', skey, kind .. tText .. '|' .. item)
  redis.call('LTRIM', skey, -sessionCap, -1)
  local pk = base .. '${T.posting}' .. item
  redis.call('ZADD', pk, 'GT', tText, sid)
  local n = redis.call('ZCARD', pk)
  if n > postingHigh then redis.call('ZREMRANGEBYRANK', pk, 0, n - postingCap - 1) end
  redis.call('ZINCRBY', base .. '${T.popular}', pop, item)
  if cat ~= '' then
    redis.call('ZINCRBY', base .. '${T.popularCategory}' .. cat, pop, item)
    redis.call('HSET', base .. '${T.itemCategory}', item, cat)
  end
  redis.call('SADD', base .. '${T.shopperSessions}' .. shopper, sid)
  local lk = base .. '${T.shopperLatest}' .. shopper
  local lt = redis.call('HGET', lk, 't')
  if (not lt) or t >= tonumber(lt) then redis.call('HSET', lk, 's', sid, 't', tText) end
  if kind == 'p' then redis.call('SADD', base .. '${T.shopperBought}' .. shopper, item) end
  if t > newest then newest, newestText = t, tText end
  end
end
if markField ~= '' and tonumber(nextText) > from then redis.call('HSET', markKey, markField, nextText) end
if applied > 0 then
  redis.call('HSET', metaKey, 'newest', newestText)
  redis.call('HINCRBY', metaKey, 'version', 1)
end
return { applied, fromText }
`;

/**
 * One call per request, O(1) keys (ADR 0100): the session (given, or the shopper's latest), the
 * buyer's purchases and the index's version. ARGV: base, sessionId, shopperKey.
 */
const SESSION_LUA = `${LUA_PRELUDE}
local sid, shopper = ARGV[2], ARGV[3]
if sid == '' and shopper ~= '' then sid = redis.call('HGET', base .. '${T.shopperLatest}' .. shopper, 's') or '' end
local entries = {}
local found = ''
if sid ~= '' then
  entries = redis.call('LRANGE', base .. '${T.session}' .. sid, 0, -1)
  if #entries > 0 then found = sid end
end
local buyer = shopper
if buyer == '' and found ~= '' then buyer = redis.call('GET', base .. '${T.sessionShopper}' .. found) or '' end
local bought = {}
if buyer ~= '' then bought = redis.call('SMEMBERS', base .. '${T.shopperBought}' .. buyer) end
table.sort(bought)
local meta = redis.call('HMGET', base .. '${T.meta}', 'newest', 'version', 'erasures')
return { sid, found, entries, bought, meta[1] or '0', meta[2] or '0', meta[3] or '0' }
`;

/**
 * Item neighbourhoods the cache misses, one call for all of them: per item its posting list's most
 * recent sessions with their raw entries, its co-visitation row and category; then the popular
 * rows asked for. ARGV: base, postingLimit, covisLimit, popularLimit (0: no global row), nItems,
 * items…, nCategories, categories….
 */
const ITEMS_LUA = `${LUA_PRELUDE}
local postingLimit, covisLimit, popularLimit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local nItems = tonumber(ARGV[5])
local catKey = base .. '${T.itemCategory}'
local out = {}
for j = 1, nItems do
  local item = ARGV[5 + j]
  local rows = redis.call('ZREVRANGE', base .. '${T.posting}' .. item, 0, postingLimit - 1, 'WITHSCORES')
  local sessions = {}
  for q = 1, #rows, 2 do sessions[#sessions + 1] = redis.call('LRANGE', base .. '${T.session}' .. rows[q], 0, -1) end
  out[j] = { rows, sessions, redis.call('ZREVRANGE', base .. '${T.covis}' .. item, 0, covisLimit - 1, 'WITHSCORES'), redis.call('HGET', catKey, item) or '' }
end
local at = 6 + nItems
local nCats = tonumber(ARGV[at])
local byCat = {}
for j = 1, nCats do byCat[j] = redis.call('ZREVRANGE', base .. '${T.popularCategory}' .. ARGV[at + j], 0, popularLimit - 1, 'WITHSCORES') end
local popular = {}
if popularLimit > 0 and ARGV[at + nCats + 1] == '1' then popular = redis.call('ZREVRANGE', base .. '${T.popular}', 0, popularLimit - 1, 'WITHSCORES') end
local meta = redis.call('HMGET', base .. '${T.meta}', 'version', 'erasures')
return { out, popular, byCat, meta[1] or '0', meta[2] or '0' }
`;

/** Erases a shopper: its sessions, their posting entries, its latest session and purchases. */
const ERASE_LUA = `${LUA_PRELUDE}
local shopper = ARGV[2]
local sessions = redis.call('SMEMBERS', base .. '${T.shopperSessions}' .. shopper)
local erased = 0
for _, s in ipairs(sessions) do
  local skey = base .. '${T.session}' .. s
  local entries = redis.call('LRANGE', skey, 0, -1)
  if redis.call('EXISTS', skey) == 1 then erased = erased + 1 end
  local done = {}
  for _, e in ipairs(entries) do
    local item = itemOf(e)
    if not done[item] then done[item] = true; redis.call('ZREM', base .. '${T.posting}' .. item, s) end
  end
  redis.call('DEL', skey, base .. '${T.sessionShopper}' .. s)
end
redis.call('DEL', base .. '${T.shopperSessions}' .. shopper, base .. '${T.shopperLatest}' .. shopper, base .. '${T.shopperBought}' .. shopper)
redis.call('HINCRBY', base .. '${T.meta}', 'erasures', 1)
return erased
`;

const LANDMARK_LUA = `${LUA_PRELUDE}
redis.call('HSETNX', base .. '${T.meta}', 'landmark', ARGV[2])
return redis.call('HGET', base .. '${T.meta}', 'landmark')
`;

type Reply = string | number | null | Reply[];

interface ScriptedRedis {
  cwRecsApply(...args: string[]): Promise<unknown>;
  cwRecsSession(...args: string[]): Promise<Reply[]>;
  cwRecsItems(...args: string[]): Promise<Reply[]>;
  cwRecsErase(...args: string[]): Promise<number>;
  cwRecsLandmark(...args: string[]): Promise<string>;
}

function pairs(flat: Reply): WeightedItem[] {
  const rows = flat as string[];
  const out: WeightedItem[] = [];
  for (let i = 0; i < rows.length; i += 2) out.push({ itemId: rows[i]!, weight: Number(rows[i + 1]), number: itemNumber(rows[i]!) });
  return out;
}

/** The item of a stored session entry "<kind><time>|<item>" (Lua's itemOf). */
function itemOfEntry(entry: string): string {
  return entry.slice(entry.indexOf('|') + 1);
}

function parseEntry(entry: string): StoredEvent {
  const bar = entry.indexOf('|');
  return { itemId: entry.slice(bar + 1), timeMs: Number(entry.slice(1, bar)), kind: KIND_OF_CODE[entry[0]!] ?? 'view' };
}

/** What a request needs of one expanded item: its posting list's newest sessions with their items, its co-visitation row, its category. */
interface ItemNeighbourhood {
  readonly sessions: readonly NeighbourSession[];
  readonly covis: readonly WeightedItem[];
  readonly category: string | undefined;
}

function neighbourhoodOf(reply: Reply): ItemNeighbourhood {
  const [rows, entries, covis, category] = reply as [string[], string[][], Reply, string];
  const sessions: NeighbourSession[] = [];
  for (let i = 0; i < rows.length; i += 2) {
    const items = (entries[i / 2] ?? []).map(itemOfEntry);
    sessions.push({ sessionId: rows[i]!, timeMs: Number(rows[i + 1]), items, numbers: itemNumbers(items) });
  }
  return { sessions, covis: pairs(covis), category: category === '' ? undefined : category };
}

/**
 * The live index in Redis (ADR 0090): one Lua script per event batch (atomic), one per erasure.
 * A request (ADR 0100) reads its own session, purchases and the index version (one script, O(1)
 * keys), takes the expanded items' neighbourhoods and the popular rows from an in-process cache
 * validated by that version, reads the ones missing in one more script, and assembles the slice as
 * MemoryRecsStore.readSync does. Keys come from libs/redis's RecsKeys.
 */
export class RedisRecsStore implements RecsStore {
  readonly keys: RecsKeys;
  private readonly redis: RedisClient & ScriptedRedis;

  private readonly items: VersionCache<ItemNeighbourhood>;
  private readonly popularRows: VersionCache<WeightedItem[]>;

  /** `cache`: the in-process cache of item neighbourhoods and popular rows; default exact (maxStaleMs 0). */
  constructor(redis: RedisClient, prefix = 'cw:', cache: Partial<VersionCacheOptions> = {}) {
    this.keys = new RecsKeys(prefix);
    const options = { maxEntries: cache.maxEntries ?? 20_000, maxStaleMs: cache.maxStaleMs ?? 0 };
    this.items = new VersionCache(options);
    this.popularRows = new VersionCache({ ...options, maxEntries: Math.min(options.maxEntries, 1000) });
    if (!('cwRecsSession' in redis)) {
      redis.defineCommand('cwRecsApply', { lua: APPLY_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsSession', { lua: SESSION_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsItems', { lua: ITEMS_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsErase', { lua: ERASE_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsLandmark', { lua: LANDMARK_LUA, numberOfKeys: 0 });
    }
    this.redis = redis as RedisClient & ScriptedRedis;
  }

  async landmark(proposedMs: number): Promise<number> {
    return Number(await this.redis.cwRecsLandmark(this.keys.base, String(proposedMs)));
  }

  async apply(batch: PlannedBatch): Promise<AppliedBatch> {
    const source = batch.source;
    if (batch.events.length === 0 && source === undefined) return { applied: 0, from: 0 };
    const mark = source === undefined ? '' : `${source.stream}|${source.partition}`;
    const args = [this.keys.base, String(batch.sessionEvents), String(batch.postingSessions), String(batch.covisItems), String(batch.covisWindow), String(batch.covisBackward), mark, String(source?.next ?? 0)];
    for (const [index, { event: e, covisFactor, popularIncrement }] of batch.events.entries()) {
      args.push(e.shopperKey, e.sessionId, e.itemId, KIND_CODE[e.kind], String(e.timeMs), e.categoryId ?? '', String(covisFactor), String(popularIncrement), String(source?.positions[index] ?? 0));
    }
    const [applied, from] = (await this.redis.cwRecsApply(...args)) as [number, string];
    return { applied: Number(applied), from: Number(from) };
  }

  async read(query: IndexQuery): Promise<IndexSlice> {
    const [sid, found, entries, bought, newest, version, erasures] = (await this.redis.cwRecsSession(this.keys.base, query.sessionId ?? '', query.shopperKey ?? '')) as [
      string,
      string,
      string[],
      string[],
      string,
      string,
      string,
    ];
    const at: IndexVersion = { version, erasures };
    const session = entries.map(parseEntry);
    const expanded: string[] = [];
    const current = session.map((e) => e.itemId).concat(query.recentItems ?? []);
    for (let i = current.length - 1; i >= 0 && expanded.length < query.expandItems; i--) if (!expanded.includes(current[i]!)) expanded.push(current[i]!);

    // The neighbourhoods and popular rows the cache has; the rest in one call.
    const itemKey = (item: string) => `${item}\u0000${query.postingLimit}\u0000${query.covisLimit}`;
    const hoods = new Map<string, ItemNeighbourhood>();
    const missing: string[] = [];
    for (const item of expanded) {
      const hood = this.items.get(itemKey(item), at);
      if (hood) hoods.set(item, hood);
      else missing.push(item);
    }
    const popularKey = `*\u0000${query.popularLimit}`;
    let popular = this.popularRows.get(popularKey, at);
    if (missing.length > 0 || !popular) popular = (await this.fetch(missing, popular === undefined, query, hoods, itemKey)) ?? popular;
    // The categories whose popular rows are read: the query's, then the expanded items'.
    const cats: string[] = [];
    for (const c of query.categories) if (!cats.includes(c)) cats.push(c);
    const categoryOf = new Map<string, string>();
    for (const item of expanded) {
      const c = hoods.get(item)?.category;
      if (c !== undefined) {
        categoryOf.set(item, c);
        if (!cats.includes(c)) cats.push(c);
      }
    }
    const catKey = (c: string) => `${c}\u0000${query.popularLimit}`;
    const popularByCategory = new Map<string, WeightedItem[]>();
    const catsMissing: string[] = [];
    for (const c of cats) {
      const row = this.popularRows.get(catKey(c), at);
      if (row) popularByCategory.set(c, row);
      else catsMissing.push(c);
    }
    if (catsMissing.length > 0) {
      const [, , byCat, v, e] = (await this.redis.cwRecsItems(this.keys.base, '0', '0', String(query.popularLimit), '0', String(catsMissing.length), ...catsMissing, '0')) as [Reply, Reply, Reply[], string, string];
      catsMissing.forEach((c, i) => {
        const row = pairs(byCat[i] ?? []);
        this.popularRows.set(catKey(c), row, { version: v, erasures: e });
        popularByCategory.set(c, row);
      });
    }
    // Map order as the script returned them: the query's categories first.
    const orderedByCategory = new Map<string, WeightedItem[]>();
    for (const c of cats) orderedByCategory.set(c, popularByCategory.get(c) ?? []);

    // The candidate sessions: the most recent of the union (ties: smaller id), the current one left out.
    // (Each posting list is newest first: merged, not sorted.)
    const neighbours = newestSessions(
      expanded.map((item) => hoods.get(item)?.sessions ?? []),
      sid,
      query.sampleSize,
    );
    const covisited = expanded.map((item) => hoods.get(item)?.covis ?? []);
    const popularRow = popular ?? [];
    if (query.withCategories) await this.noteCategories(categoryOf, neighbours, covisited, popularRow, orderedByCategory);
    return {
      ...(found !== '' ? { sessionId: found } : {}),
      session,
      expanded,
      bought,
      neighbours,
      covisited,
      popular: popularRow,
      popularByCategory: orderedByCategory,
      categoryOf,
      newestMs: Number(newest),
    };
  }

  /** Reads the missing neighbourhoods (and the global popular row when asked) in one call and caches them. */
  private async fetch(missing: readonly string[], withPopular: boolean, query: IndexQuery, hoods: Map<string, ItemNeighbourhood>, itemKey: (item: string) => string): Promise<WeightedItem[] | undefined> {
    const [out, popular, , version, erasures] = (await this.redis.cwRecsItems(
      this.keys.base,
      String(query.postingLimit),
      String(query.covisLimit),
      String(query.popularLimit),
      String(missing.length),
      ...missing,
      '0',
      withPopular ? '1' : '0',
    )) as [Reply[], Reply, Reply[], string, string];
    const at = { version, erasures };
    missing.forEach((item, i) => {
      const hood = neighbourhoodOf(out[i] ?? [[], [], [], '']);
      this.items.set(itemKey(item), hood, at);
      hoods.set(item, hood);
    });
    if (!withPopular) return undefined;
    const row = pairs(popular);
    this.popularRows.set(`*\u0000${query.popularLimit}`, row, at);
    return row;
  }

  /** The index's category of every returned item (category-filtered requests only; never cached). */
  private async noteCategories(
    categoryOf: Map<string, string>,
    neighbours: readonly NeighbourSession[],
    covisited: readonly (readonly WeightedItem[])[],
    popular: readonly WeightedItem[],
    byCategory: ReadonlyMap<string, readonly WeightedItem[]>,
  ): Promise<void> {
    const noted = new Set<string>();
    for (const n of neighbours) for (const item of n.items) noted.add(item);
    for (const row of covisited) for (const r of row) noted.add(r.itemId);
    for (const r of popular) noted.add(r.itemId);
    for (const row of byCategory.values()) for (const r of row) noted.add(r.itemId);
    if (noted.size === 0) return;
    const items = [...noted];
    const cats = await this.redis.hmget(this.keys.base + T.itemCategory, ...items);
    items.forEach((item, i) => {
      const c = cats[i];
      if (c !== null && c !== undefined) categoryOf.set(item, c);
    });
  }

  /** Cache hits and misses so far (item neighbourhoods), for benchmarks and metrics. */
  get cacheStats(): { hits: number; misses: number; entries: number } {
    return { hits: this.items.hits, misses: this.items.misses, entries: this.items.size };
  }

  async erase(shopperKey: string): Promise<ErasureResult> {
    this.items.clear();
    this.popularRows.clear();
    return { sessions: await this.redis.cwRecsErase(this.keys.base, shopperKey) };
  }

  private async count(pattern: string): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
      cursor = next;
      n += found.length;
    } while (cursor !== '0');
    return n;
  }

  /** Counts keys by SCAN (for tests and status pages, not for requests). */
  async stats(): Promise<IndexStats> {
    return { sessions: await this.count(this.keys.pattern(T.session)), items: await this.count(this.keys.pattern(T.posting)), covisRows: await this.count(this.keys.pattern(T.covis)) };
  }
}

import { RecsKeys, type RedisClient } from '@clickwise/redis';
import {
  KIND_CODE,
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

const T = RecsKeys.tags;

/** Shared Lua helpers: `fmt` writes a double exactly (Lua's own tostring keeps 14 digits). */
const LUA_PRELUDE = `
local base = ARGV[1]
local function fmt(x) return string.format('%.17g', x) end
local function itemOf(e) return string.sub(e, string.find(e, '|', 1, true) + 1) end
`;

/**
 * One call per batch: the steps of MemoryRecsStore.applySync, in the same order, with the numbers
 * planBatch computed (ARGV: base, caps, then 8 fields per event).
 */
const APPLY_LUA = `${LUA_PRELUDE}
local sessionCap, postingCap, covisCap, window, backward = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local covisHigh, postingHigh = math.floor(covisCap * 1.5), math.floor(postingCap * 1.5)
local metaKey = base .. '${T.meta}'
local newestText = redis.call('HGET', metaKey, 'newest') or '0'
local newest = tonumber(newestText)
local i = 7
while i <= #ARGV do
  local shopper, sid, item, kind, tText, cat, f, pop = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4], ARGV[i+5], tonumber(ARGV[i+6]), ARGV[i+7]
  local t = tonumber(tText)
  i = i + 8
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
redis.call('HSET', metaKey, 'newest', newestText)
return 1
`;

/**
 * One call per request: MemoryRecsStore.readSync's steps. ARGV: base, sessionId, shopperKey,
 * expandItems, postingLimit, sampleSize, covisLimit, popularLimit, withCategories, nRecent,
 * recent…, nCategories, categories….
 */
const READ_LUA = `${LUA_PRELUDE}
local sid, shopper = ARGV[2], ARGV[3]
local expandN, postingLimit, sampleSize, covisLimit, popularLimit = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local withCategories = ARGV[9] == '1'
local nRecent = tonumber(ARGV[10])
local recent = {}
for j = 1, nRecent do recent[j] = ARGV[10 + j] end
local at = 11 + nRecent
local nCats = tonumber(ARGV[at])
local queryCats = {}
for j = 1, nCats do queryCats[j] = ARGV[at + j] end

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

local current = {}
for j = 1, #entries do current[#current + 1] = itemOf(entries[j]) end
for j = 1, #recent do current[#current + 1] = recent[j] end
local expanded, isExpanded = {}, {}
for j = #current, 1, -1 do
  if #expanded >= expandN then break end
  local item = current[j]
  if not isExpanded[item] then isExpanded[item] = true; expanded[#expanded + 1] = item end
end

local union, order = {}, {}
for _, item in ipairs(expanded) do
  local rows = redis.call('ZREVRANGE', base .. '${T.posting}' .. item, 0, postingLimit - 1, 'WITHSCORES')
  for j = 1, #rows, 2 do
    local s, t = rows[j], tonumber(rows[j + 1])
    if s ~= sid then
      local have = union[s]
      if have == nil then order[#order + 1] = s end
      if have == nil or t > have then union[s] = t end
    end
  end
end
table.sort(order, function(a, b) local ta, tb = union[a], union[b]; if ta ~= tb then return ta > tb end; return a < b end)
local neighbours = {}
local noted = {}
for j = 1, math.min(sampleSize, #order) do
  local s = order[j]
  local items = redis.call('LRANGE', base .. '${T.session}' .. s, 0, -1)
  for q = 1, #items do items[q] = itemOf(items[q]); noted[items[q]] = true end
  neighbours[#neighbours + 1] = { s, fmt(union[s]), items }
end
local covis = {}
for j, item in ipairs(expanded) do
  covis[j] = redis.call('ZREVRANGE', base .. '${T.covis}' .. item, 0, covisLimit - 1, 'WITHSCORES')
  for q = 1, #covis[j], 2 do noted[covis[j][q]] = true end
end
local popular = redis.call('ZREVRANGE', base .. '${T.popular}', 0, popularLimit - 1, 'WITHSCORES')
for q = 1, #popular, 2 do noted[popular[q]] = true end
local catKey = base .. '${T.itemCategory}'
local cats, isCat, categoryOf = {}, {}, {}
for _, c in ipairs(queryCats) do if not isCat[c] then isCat[c] = true; cats[#cats + 1] = c end end
for _, item in ipairs(expanded) do
  local c = redis.call('HGET', catKey, item)
  if c then
    categoryOf[#categoryOf + 1] = item; categoryOf[#categoryOf + 1] = c
    if not isCat[c] then isCat[c] = true; cats[#cats + 1] = c end
  end
end
local byCat = {}
for j, c in ipairs(cats) do
  byCat[j] = redis.call('ZREVRANGE', base .. '${T.popularCategory}' .. c, 0, popularLimit - 1, 'WITHSCORES')
  for q = 1, #byCat[j], 2 do noted[byCat[j][q]] = true end
end
if withCategories then
  for item in pairs(noted) do
    local c = redis.call('HGET', catKey, item)
    if c then categoryOf[#categoryOf + 1] = item; categoryOf[#categoryOf + 1] = c end
  end
end
local newest = redis.call('HGET', base .. '${T.meta}', 'newest') or '0'
return { found, entries, bought, expanded, neighbours, covis, popular, cats, byCat, categoryOf, newest }
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
return erased
`;

const LANDMARK_LUA = `${LUA_PRELUDE}
redis.call('HSETNX', base .. '${T.meta}', 'landmark', ARGV[2])
return redis.call('HGET', base .. '${T.meta}', 'landmark')
`;

type Reply = string | number | null | Reply[];

interface ScriptedRedis {
  cwRecsApply(...args: string[]): Promise<unknown>;
  cwRecsRead(...args: string[]): Promise<Reply[]>;
  cwRecsErase(...args: string[]): Promise<number>;
  cwRecsLandmark(...args: string[]): Promise<string>;
}

function pairs(flat: Reply): WeightedItem[] {
  const rows = flat as string[];
  const out: WeightedItem[] = [];
  for (let i = 0; i < rows.length; i += 2) out.push({ itemId: rows[i]!, weight: Number(rows[i + 1]) });
  return out;
}

function parseEntry(entry: string): StoredEvent {
  const bar = entry.indexOf('|');
  return { itemId: entry.slice(bar + 1), timeMs: Number(entry.slice(1, bar)), kind: KIND_OF_CODE[entry[0]!] ?? 'view' };
}

/**
 * The live index in Redis (ADR 0090): one Lua script per event batch (atomic), one per request,
 * one per erasure. Keys come from libs/redis's RecsKeys.
 */
export class RedisRecsStore implements RecsStore {
  readonly keys: RecsKeys;
  private readonly redis: RedisClient & ScriptedRedis;

  constructor(redis: RedisClient, prefix = 'cw:') {
    this.keys = new RecsKeys(prefix);
    if (!('cwRecsApply' in redis)) {
      redis.defineCommand('cwRecsApply', { lua: APPLY_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsRead', { lua: READ_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsErase', { lua: ERASE_LUA, numberOfKeys: 0 });
      redis.defineCommand('cwRecsLandmark', { lua: LANDMARK_LUA, numberOfKeys: 0 });
    }
    this.redis = redis as RedisClient & ScriptedRedis;
  }

  async landmark(proposedMs: number): Promise<number> {
    return Number(await this.redis.cwRecsLandmark(this.keys.base, String(proposedMs)));
  }

  async apply(batch: PlannedBatch): Promise<void> {
    if (batch.events.length === 0) return;
    const args = [this.keys.base, String(batch.sessionEvents), String(batch.postingSessions), String(batch.covisItems), String(batch.covisWindow), String(batch.covisBackward)];
    for (const { event: e, covisFactor, popularIncrement } of batch.events) {
      args.push(e.shopperKey, e.sessionId, e.itemId, KIND_CODE[e.kind], String(e.timeMs), e.categoryId ?? '', String(covisFactor), String(popularIncrement));
    }
    await this.redis.cwRecsApply(...args);
  }

  async read(query: IndexQuery): Promise<IndexSlice> {
    const recent = query.recentItems ?? [];
    const reply = await this.redis.cwRecsRead(
      this.keys.base,
      query.sessionId ?? '',
      query.shopperKey ?? '',
      String(query.expandItems),
      String(query.postingLimit),
      String(query.sampleSize),
      String(query.covisLimit),
      String(query.popularLimit),
      query.withCategories ? '1' : '0',
      String(recent.length),
      ...recent,
      String(query.categories.length),
      ...query.categories,
    );
    const [found, entries, bought, expanded, neighbours, covis, popular, cats, byCat, categoryOf, newest] = reply as [
      string,
      string[],
      string[],
      string[],
      [string, string, string[]][],
      Reply[],
      Reply,
      string[],
      Reply[],
      string[],
      string,
    ];
    const popularByCategory = new Map<string, WeightedItem[]>();
    cats.forEach((c, i) => popularByCategory.set(c, pairs(byCat[i] ?? [])));
    const categories = new Map<string, string>();
    for (let i = 0; i < categoryOf.length; i += 2) categories.set(categoryOf[i]!, categoryOf[i + 1]!);
    return {
      ...(found !== '' ? { sessionId: found } : {}),
      session: entries.map(parseEntry),
      expanded,
      bought,
      neighbours: neighbours.map(([sessionId, time, items]): NeighbourSession => ({ sessionId, timeMs: Number(time), items })),
      covisited: expanded.map((_, i) => pairs(covis[i] ?? [])),
      popular: pairs(popular),
      popularByCategory,
      categoryOf: categories,
      newestMs: Number(newest),
    };
  }

  async erase(shopperKey: string): Promise<ErasureResult> {
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

/**
 * The batch write: one Lua script applies a whole batch of one partition and advances that
 * partition's stored offset, atomically. It refuses (changing nothing) when
 *  - the sentinel (meta) key is gone: Redis lost its data → 'lost';
 *  - the stored offset is not the one the batch starts from: another consumer (or an earlier
 *    attempt whose reply was lost) already moved it → 'fenced:<stored>'.
 * So a batch is applied exactly once, whatever crashes, retries or rebalances happen.
 *
 * With the state it writes the range's outbox: the notices (FeatureUpdates and dead letters) the
 * caller sends to Kafka only after this script returned, and deletes once Kafka acknowledged them
 * (CLEAR_OUTBOX_LUA). A crash in between leaves the outbox, which whoever opens the partition next
 * sends first (ADR 0037). An empty outbox argument deletes the key (a range with no notices).
 *
 * KEYS: meta, offsets, outbox, then one key per string, set and hash below, in that order.
 * ARGV:
 *   1 partition field        2 expected offset ('' = none stored)   3 new "<offset>|<clock>"
 *   4 now (ms)               5 #strings   6 #set adds   7 #hashes
 *   8 hash TTL (s)           9 set TTL (s)   10 GC period (event ms)   11 allowed lateness (ms)
 *  12 item slots "hop:keep,…"   13 category slots "hop:keep,…"   14 outbox ('' = none)
 *  then per string: value, TTL (s); per set: member; per hash: kind ('i'|'c'), latest event time,
 *  #fields, then field, increment pairs.
 *
 * Shared hashes (items, categories) get only HINCRBYFLOAT, a max on `_t` and a GC of buckets no
 * read can need (older than `_t` − lateness − window): commutative, so every partition may write.
 * Numbers are never formatted by Lua (it would round to 14 digits): values come in as strings.
 */
export const APPLY_BATCH_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'lost' end
local stored = redis.call('HGET', KEYS[2], ARGV[1])
local storedOffset = ''
if stored then storedOffset = string.match(stored, '^([^|]*)') end
if storedOffset ~= ARGV[2] then return 'fenced:' .. (stored or '') end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if ARGV[14] == '' then redis.call('DEL', KEYS[3]) else redis.call('SET', KEYS[3], ARGV[14]) end

local now = ARGV[4]
local hashTtl = ARGV[8]
local setTtl = ARGV[9]
local gcEvery = tonumber(ARGV[10])
local lateness = tonumber(ARGV[11])

local function schema(text)
  local out = {}
  for hop, keep in string.gmatch(text, '(%d+):(%d+)') do out[#out + 1] = { tonumber(hop), tonumber(keep) } end
  return out
end
local schemas = { i = schema(ARGV[12]), c = schema(ARGV[13]) }

local function gc(key, slots, latest)
  local fields = redis.call('HKEYS', key)
  local dead = {}
  for _, f in ipairs(fields) do
    local s, b = string.match(f, '^(%d+):(%-?%d+):')
    if s then
      local spec = slots[tonumber(s) + 1]
      if spec and tonumber(b) <= math.floor((latest - lateness) / spec[1]) - spec[2] then dead[#dead + 1] = f end
    end
  end
  for i = 1, #dead, 1000 do
    redis.call('HDEL', key, unpack(dead, i, math.min(i + 999, #dead)))
  end
  return #dead
end

local k = 4
local a = 15
for _ = 1, tonumber(ARGV[5]) do
  redis.call('SET', KEYS[k], ARGV[a], 'EX', ARGV[a + 1])
  k = k + 1
  a = a + 2
end
for _ = 1, tonumber(ARGV[6]) do
  redis.call('SADD', KEYS[k], ARGV[a])
  redis.call('EXPIRE', KEYS[k], setTtl)
  k = k + 1
  a = a + 1
end
local collected = 0
for _ = 1, tonumber(ARGV[7]) do
  local key = KEYS[k]
  local kind = ARGV[a]
  local latestText = ARGV[a + 1]
  local latest = tonumber(latestText)
  local n = tonumber(ARGV[a + 2])
  a = a + 3
  for _ = 1, n do
    redis.call('HINCRBYFLOAT', key, ARGV[a], ARGV[a + 1])
    a = a + 2
  end
  local meta = redis.call('HMGET', key, '_t', '_g')
  local t = tonumber(meta[1])
  local tText = meta[1]
  if (not t) or latest > t then
    t = latest
    tText = latestText
  end
  local g = tonumber(meta[2])
  if not g then
    redis.call('HSET', key, '_t', tText, '_w', now, '_g', tText)
  elseif t - g >= gcEvery then
    collected = collected + gc(key, schemas[kind], t)
    redis.call('HSET', key, '_t', tText, '_w', now, '_g', tText)
  else
    redis.call('HSET', key, '_t', tText, '_w', now)
  end
  redis.call('EXPIRE', key, hashTtl)
  k = k + 1
end
return 'ok:' .. collected
`;

/**
 * Deletes a partition's outbox once its notices are acknowledged, unless a later range replaced
 * it (the outbox starts with "<next offset>\n" of its range; another writer's outbox stays).
 * KEYS: outbox. ARGV: 1 "<next offset>\n". Returns 1 when deleted.
 */
export const CLEAR_OUTBOX_LUA = `
if redis.call('GETRANGE', KEYS[1], 0, #ARGV[1] - 1) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

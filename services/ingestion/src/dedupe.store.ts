import { type RedisKeys, type RedisClient } from '@clickwise/redis';
import { DedupeStore, type ClaimStatus } from './ingestion.ports.js';

// Event ids are remembered in generation hashes (ADR 0028): generation g holds the ids first seen
// while Redis's clock was in [g·G, (g+1)·G), G = TTL / GENERATIONS, field = id, value `1` once the
// event is on Kafka or `<token>@<expiry ms>` while a request writes it. A lookup reads the current
// generation and the GENERATIONS before it, so an id is remembered for at least the TTL and less
// than TTL + G. Each script handles a whole batch with a few commands over the batch (HMGET, HSET)
// instead of one SET per id: a tenth of the commands in Redis and in its append-only file.
// KEYS[1] is the sentinel: without it Redis lost the dedupe ids (flushed, restarted empty), so
// nothing is claimed until they are rebuilt (ADR 0024). The check and the claims are one script,
// so no claim slips in between a loss and its detection.
// The ids travel as one newline-separated argument, and the claim answers one digit per id (ADR
// 0027). Event ids never hold a newline (validation allows [A-Za-z0-9_.:-]).
// Scripts read the time with TIME (effects replication, Redis ≥ 5), so every ingestion replica
// agrees on the generation whatever its own clock. The keys are not passed in KEYS: single-node
// Redis (or a cluster with hash tags in RedisKeys) is assumed.
const PRELUDE = `
local prefix, genMs, gens = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local g = math.floor(now / genMs)
-- HMGET/HSET over many fields, a chunk of the arguments at a time (Lua's unpack has a stack limit).
local function each_chunk(list, n, step, fn)
  for i = 1, n, step do fn(unpack(list, i, math.min(n, i + step - 1))) end
end
`;

const CLAIM = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('DEDUPE_STATE_LOST dedupe sentinel missing') end
local token, claimTtl = ARGV[4], tonumber(ARGV[5])
local ids, n = {}, 0
for id in string.gmatch(ARGV[6], '[^\\n]+') do n = n + 1; ids[n] = id end
-- state[i]: '1' written (in any generation), '2' claimed by a request whose claim has not expired.
local state = {}
for k = 0, gens do
  local key = prefix .. (g - k)
  if redis.call('EXISTS', key) == 1 then
    local base = 0
    each_chunk(ids, n, 2000, function(...)
      local vals = redis.call('HMGET', key, ...)
      for j = 1, #vals do
        local v, i = vals[j], base + j
        if v then
          if v == '1' then state[i] = '1'
          elseif state[i] == nil then
            local at = string.find(v, '@', 1, true)
            if at and tonumber(string.sub(v, at + 1)) > now then state[i] = '2' end
          end
        end
      end
      base = base + #vals
    end)
  end
end
local out, args, m = {}, {}, 0
local claim = token .. '@' .. (now + claimTtl)
for i = 1, n do
  local s = state[i]
  if s then out[i] = s else
    out[i] = '0'
    args[m + 1] = ids[i]; args[m + 2] = claim; m = m + 2
  end
end
if m > 0 then
  local cur = prefix .. g
  each_chunk(args, m, 4000, function(...) redis.call('HSET', cur, ...) end)
  redis.call('PEXPIREAT', cur, (g + gens + 1) * genMs + 60000)
end
return table.concat(out)`;

const COMMIT = `${PRELUDE}
local args, m = {}, 0
for id in string.gmatch(ARGV[4], '[^\\n]+') do args[m + 1] = id; args[m + 2] = '1'; m = m + 2 end
if m == 0 then return 0 end
local cur = prefix .. g
each_chunk(args, m, 4000, function(...) redis.call('HSET', cur, ...) end)
redis.call('PEXPIREAT', cur, (g + gens + 1) * genMs + 60000)
-- The generation no lookup reads any more: freed in Redis's background thread now, rather than
-- all at once on the event loop when it expires a minute later.
redis.call('UNLINK', prefix .. (g - gens - 1))
return m / 2`;

// Deletes this request's claims (value <token>@…) in every generation a lookup reads.
const RELEASE = `${PRELUDE}
local mine = ARGV[4] .. '@'
local n = 0
for id in string.gmatch(ARGV[5], '[^\\n]+') do
  for k = 0, gens do
    local key = prefix .. (g - k)
    local v = redis.call('HGET', key, id)
    if v and string.sub(v, 1, #mine) == mine then redis.call('HDEL', key, id); n = n + 1 end
  end
end
return n`;

// Re-remembers ids read back from Kafka (ADR 0024): ARGV[4] the TTL, then id and TTL left (ms)
// pairs. Each id goes into the generation of its write (now − TTL + left), or nowhere when no
// lookup reads that generation any more.
const RESTORE = `${PRELUDE}
local ttl = tonumber(ARGV[4])
local n = 0
for i = 5, #ARGV, 2 do
  local gen = math.floor((now - ttl + tonumber(ARGV[i + 1])) / genMs)
  if gen >= g - gens then
    local key = prefix .. math.min(gen, g)
    redis.call('HSET', key, ARGV[i], '1')
    redis.call('PEXPIREAT', key, (math.min(gen, g) + gens + 1) * genMs + 60000)
    n = n + 1
  end
end
return n`;

// What one id's entry is, for tests and operators: the newest generation holding it.
const INSPECT = `${PRELUDE}
local found = false
for k = 0, gens do
  local key = prefix .. (g - k)
  local v = redis.call('HGET', key, ARGV[4])
  if v == '1' then return { v, redis.call('PEXPIRETIME', key) } end
  if v and not found then found = { v, redis.call('PEXPIRETIME', key) } end
end
return found`;

/** How many generations the TTL is cut into (a lookup reads GENERATIONS + 1 hashes). */
export const DEDUPE_GENERATIONS = 2;

type Script = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/** Redis does not hold the sentinel: its dedupe ids are gone or not yet rebuilt (ADR 0024). */
export class DedupeStateLostError extends Error {
  constructor() {
    super('Redis lost the dedupe state (sentinel missing)');
    this.name = 'DedupeStateLostError';
  }
}

/** What the sentinel records about the rebuild that wrote it. */
export interface DedupeSentinel {
  /** `run_id` of the Redis server the ids were rebuilt into (another one: restarted since). */
  redisRunId: string;
  /** The key layout the ids were rebuilt in (`RedisDedupeStore.layout`; absent before ADR 0028). */
  layout?: string;
  rebuiltAtMs: number;
  /** Event ids re-remembered from Kafka, and how long that took. */
  restored: number;
  tookMs: number;
}

const STATUS: ClaimStatus[] = ['new', 'duplicate', 'in_flight'];

/** The ids as the claim and commit scripts take them: one argument, newline-separated. */
function pack(eventIds: readonly string[]): string {
  for (const id of eventIds) {
    // An empty id would be skipped by the script's split and shift every status after it.
    if (id === '' || id.includes('\n')) throw new Error(`event id ${JSON.stringify(id)} cannot be deduplicated (empty or with a newline)`);
  }
  return eventIds.join('\n');
}

/** One id's dedupe entry (`inspect`). */
export interface DedupeEntry {
  state: 'written' | 'claimed';
  /** The claim's token (claimed only). */
  token?: string;
  /** When the claim lapses (claimed only, unix ms). */
  claimExpiresAtMs?: number;
  /** When Redis drops the generation hash that holds it (unix ms). */
  keptUntilMs: number;
}

/**
 * Dedupe of event ids in Redis, in two phases: a claim (the id with a request token and a short
 * expiry) before the Kafka write, then `1` once Kafka acknowledged, or the claim is deleted when
 * the write failed. A crash between the two leaves a claim that lapses by itself. Ids live in
 * generation hashes (ADR 0028), remembered for at least the TTL and less than 1.5 × it.
 */
export class RedisDedupeStore extends DedupeStore {
  private readonly claimScript: Script;
  private readonly commitScript: Script;
  private readonly releaseScript: Script;
  private readonly restoreScript: Script;
  private readonly inspectScript: Script;
  /** Length of one generation (ms). */
  readonly generationMs: number;
  private readonly prefix: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
    private readonly claimTtlMs: number,
  ) {
    super();
    this.generationMs = Math.ceil(ttlMs / DEDUPE_GENERATIONS);
    this.prefix = keys.dedupeGenerationPrefix(this.generationMs);
    redis.defineCommand('cwDedupeClaim', { lua: CLAIM });
    redis.defineCommand('cwDedupeCommit', { lua: COMMIT });
    redis.defineCommand('cwDedupeRelease', { lua: RELEASE });
    redis.defineCommand('cwDedupeRestore', { lua: RESTORE });
    redis.defineCommand('cwDedupeInspect', { lua: INSPECT });
    const commands = redis as unknown as Record<string, Script>;
    this.claimScript = commands.cwDedupeClaim!.bind(redis);
    this.commitScript = commands.cwDedupeCommit!.bind(redis);
    this.releaseScript = commands.cwDedupeRelease!.bind(redis);
    this.restoreScript = commands.cwDedupeRestore!.bind(redis);
    this.inspectScript = commands.cwDedupeInspect!.bind(redis);
  }

  /** How long ids are remembered at least (ms, from the write). */
  get ttl(): number {
    return this.ttlMs;
  }

  /** The key layout: ids rebuilt in another one (another TTL, or per-id keys before ADR 0028) are not found. */
  get layout(): string {
    return `generations:${this.generationMs}x${DEDUPE_GENERATIONS}`;
  }

  /** Throws DedupeStateLostError when Redis does not hold the sentinel. */
  async claim(eventIds: readonly string[], token: string): Promise<ClaimStatus[]> {
    if (eventIds.length === 0) return [];
    if (token.includes('@')) throw new Error(`claim token ${JSON.stringify(token)} cannot hold '@'`);
    const packed = pack(eventIds);
    let result: string;
    try {
      result = (await this.claimScript(1, this.keys.dedupeSentinel(), this.prefix, this.generationMs, DEDUPE_GENERATIONS, token, this.claimTtlMs, packed)) as string;
    } catch (error) {
      if (String(error).includes('DEDUPE_STATE_LOST')) throw new DedupeStateLostError();
      throw error;
    }
    if (result.length !== eventIds.length) throw new Error(`dedupe claim answered ${result.length} statuses for ${eventIds.length} ids`);
    const statuses = new Array<ClaimStatus>(eventIds.length);
    for (let i = 0; i < statuses.length; i++) statuses[i] = STATUS[result.charCodeAt(i) - 48] ?? 'in_flight';
    return statuses;
  }

  /** Remembers ids as written, each for its own remaining TTL (ms; entries with none left are skipped). */
  async restore(entries: readonly { eventId: string; ttlMs: number }[]): Promise<number> {
    const live = entries.filter((e) => e.ttlMs > 0);
    if (live.length === 0) return 0;
    const args: (string | number)[] = [this.prefix, this.generationMs, DEDUPE_GENERATIONS, this.ttlMs];
    for (const e of live) {
      pack([e.eventId]);
      args.push(e.eventId, Math.ceil(e.ttlMs));
    }
    return (await this.restoreScript(0, ...args)) as number;
  }

  /** One id's entry, if Redis remembers it (for tests and operators). */
  async inspect(eventId: string): Promise<DedupeEntry | undefined> {
    const found = (await this.inspectScript(0, this.prefix, this.generationMs, DEDUPE_GENERATIONS, eventId)) as [string, number] | null;
    if (!found) return undefined;
    const [value, keptUntilMs] = found;
    if (value === '1') return { state: 'written', keptUntilMs };
    const at = value.lastIndexOf('@');
    return { state: 'claimed', token: value.slice(0, at), claimExpiresAtMs: Number(value.slice(at + 1)), keptUntilMs };
  }

  async readSentinel(): Promise<DedupeSentinel | undefined> {
    const raw = await this.redis.get(this.keys.dedupeSentinel());
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as DedupeSentinel;
    } catch {
      return undefined;
    }
  }

  async writeSentinel(sentinel: DedupeSentinel): Promise<void> {
    await this.redis.set(this.keys.dedupeSentinel(), JSON.stringify(sentinel));
  }

  /** The Redis server's `run_id` (a new one after every restart, persisted data or not). */
  async serverRunId(): Promise<string> {
    const info = await this.redis.info('server');
    const match = /^run_id:(\w+)/m.exec(info);
    if (!match?.[1]) throw new Error('Redis INFO server has no run_id');
    return match[1];
  }

  async commit(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.commitScript(0, this.prefix, this.generationMs, DEDUPE_GENERATIONS, pack(eventIds));
  }

  async release(eventIds: readonly string[], token: string): Promise<void> {
    if (eventIds.length === 0) return;
    await this.releaseScript(0, this.prefix, this.generationMs, DEDUPE_GENERATIONS, token, pack(eventIds));
  }
}

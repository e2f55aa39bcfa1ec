import { type RedisKeys, type RedisClient } from '@clickwise/redis';
import { DedupeStore, type ClaimStatus } from './ingestion.ports.js';

// Each script handles a whole batch in one round trip and one command on the client (cheaper than
// a pipeline of a thousand SETs). The dedupe keys of a batch may live anywhere: single-node Redis
// (or a cluster with hash tags added to RedisKeys.dedupe) is assumed.
// KEYS[1] is the sentinel: without it Redis lost the dedupe ids (flushed, restarted empty), so
// nothing is claimed until they are rebuilt (ADR 0024). The check and the claims are one script,
// so no claim slips in between a loss and its detection.
// Claim and commit, the two calls of every request, take the ids as one newline-separated
// argument and the key prefix (RedisKeys.dedupe('')), and claim answers one digit per id: a
// thousand key arguments and a thousand-integer reply cost the client more CPU than the rest of
// the call (ADR 0027). Event ids never hold a newline (validation allows [A-Za-z0-9_.:-]).
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('DEDUPE_STATE_LOST dedupe sentinel missing') end
local prefix, token, ttl = ARGV[1], ARGV[2], ARGV[3]
local out, n = {}, 0
for id in string.gmatch(ARGV[4], '[^\\n]+') do
  n = n + 1
  local old = redis.call('SET', prefix .. id, token, 'NX', 'PX', ttl, 'GET')
  if not old then out[n] = '0' elseif old == '1' then out[n] = '1' else out[n] = '2' end
end
return table.concat(out)`;

// Re-remembers ids read back from Kafka: ARGV holds a TTL (ms) per key. NX: an id committed
// meanwhile keeps its own TTL.
const RESTORE = `
for i, k in ipairs(KEYS) do redis.call('SET', k, '1', 'NX', 'PX', ARGV[i]) end
return #KEYS`;

const COMMIT = `
local prefix, ttl, n = ARGV[1], ARGV[2], 0
for id in string.gmatch(ARGV[3], '[^\\n]+') do
  redis.call('SET', prefix .. id, '1', 'PX', ttl)
  n = n + 1
end
return n`;

const RELEASE = `
local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k); n = n + 1 end
end
return n`;

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

/**
 * Dedupe of event ids in Redis, in two phases: a claim (SET NX with a request token and a short
 * TTL) before the Kafka write, then `1` with the 24 h TTL once Kafka acknowledged, or the claim is
 * deleted when the write failed. A crash between the two leaves a claim that expires by itself.
 */
export class RedisDedupeStore extends DedupeStore {
  private readonly claimScript: Script;
  private readonly commitScript: Script;
  private readonly releaseScript: Script;
  private readonly restoreScript: Script;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
    private readonly claimTtlMs: number,
  ) {
    super();
    redis.defineCommand('cwDedupeClaim', { lua: CLAIM });
    redis.defineCommand('cwDedupeCommit', { lua: COMMIT });
    redis.defineCommand('cwDedupeRelease', { lua: RELEASE });
    redis.defineCommand('cwDedupeRestore', { lua: RESTORE });
    const commands = redis as unknown as Record<string, Script>;
    this.claimScript = commands.cwDedupeClaim!.bind(redis);
    this.commitScript = commands.cwDedupeCommit!.bind(redis);
    this.releaseScript = commands.cwDedupeRelease!.bind(redis);
    this.restoreScript = commands.cwDedupeRestore!.bind(redis);
  }

  /** How long ids are remembered (ms, from the write). */
  get ttl(): number {
    return this.ttlMs;
  }

  /** Throws DedupeStateLostError when Redis does not hold the sentinel. */
  async claim(eventIds: readonly string[], token: string): Promise<ClaimStatus[]> {
    if (eventIds.length === 0) return [];
    const packed = pack(eventIds);
    let result: string;
    try {
      result = (await this.claimScript(1, this.keys.dedupeSentinel(), this.keys.dedupe(''), token, this.claimTtlMs, packed)) as string;
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
    await this.restoreScript(live.length, ...live.map((e) => this.keys.dedupe(e.eventId)), ...live.map((e) => Math.ceil(e.ttlMs)));
    return live.length;
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
    await this.commitScript(0, this.keys.dedupe(''), this.ttlMs, pack(eventIds));
  }

  async release(eventIds: readonly string[], token: string): Promise<void> {
    if (eventIds.length === 0) return;
    await this.releaseScript(eventIds.length, ...eventIds.map((id) => this.keys.dedupe(id)), token);
  }
}

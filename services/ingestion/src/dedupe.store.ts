import { type RedisKeys, type RedisClient } from '@clickwise/redis';
import { DedupeStore, type ClaimStatus } from './ingestion.ports.js';

// Each script handles a whole batch in one round trip and one command on the client (cheaper than
// a pipeline of a thousand SETs). The dedupe keys of a batch may live anywhere: single-node Redis
// (or a cluster with hash tags added to RedisKeys.dedupe) is assumed.
const CLAIM = `
local out = {}
for i, k in ipairs(KEYS) do
  local old = redis.call('SET', k, ARGV[1], 'NX', 'PX', ARGV[2], 'GET')
  if not old then out[i] = 0 elseif old == '1' then out[i] = 1 else out[i] = 2 end
end
return out`;

const COMMIT = `
for _, k in ipairs(KEYS) do redis.call('SET', k, '1', 'PX', ARGV[1]) end
return #KEYS`;

const RELEASE = `
local n = 0
for _, k in ipairs(KEYS) do
  if redis.call('GET', k) == ARGV[1] then redis.call('DEL', k); n = n + 1 end
end
return n`;

type Script = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

const STATUS: ClaimStatus[] = ['new', 'duplicate', 'in_flight'];

/**
 * Dedupe of event ids in Redis, in two phases: a claim (SET NX with a request token and a short
 * TTL) before the Kafka write, then `1` with the 24 h TTL once Kafka acknowledged, or the claim is
 * deleted when the write failed. A crash between the two leaves a claim that expires by itself.
 */
export class RedisDedupeStore extends DedupeStore {
  private readonly claimScript: Script;
  private readonly commitScript: Script;
  private readonly releaseScript: Script;

  constructor(
    redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly ttlMs: number,
    private readonly claimTtlMs: number,
  ) {
    super();
    redis.defineCommand('cwDedupeClaim', { lua: CLAIM });
    redis.defineCommand('cwDedupeCommit', { lua: COMMIT });
    redis.defineCommand('cwDedupeRelease', { lua: RELEASE });
    const commands = redis as unknown as Record<string, Script>;
    this.claimScript = commands.cwDedupeClaim!.bind(redis);
    this.commitScript = commands.cwDedupeCommit!.bind(redis);
    this.releaseScript = commands.cwDedupeRelease!.bind(redis);
  }

  async claim(eventIds: readonly string[], token: string): Promise<ClaimStatus[]> {
    if (eventIds.length === 0) return [];
    const result = (await this.claimScript(eventIds.length, ...eventIds.map((id) => this.keys.dedupe(id)), token, this.claimTtlMs)) as number[];
    return result.map((code) => STATUS[code] ?? 'in_flight');
  }

  async commit(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.commitScript(eventIds.length, ...eventIds.map((id) => this.keys.dedupe(id)), this.ttlMs);
  }

  async release(eventIds: readonly string[], token: string): Promise<void> {
    if (eventIds.length === 0) return;
    await this.releaseScript(eventIds.length, ...eventIds.map((id) => this.keys.dedupe(id)), token);
  }
}

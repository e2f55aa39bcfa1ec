import type { RedisClient, RedisKeys } from '@clickwise/redis';

/**
 * Takes the lease when nobody holds it: a new fencing token (the counter only grows), then
 * SET NX PX of `<token>|<instance>`. Nothing (nil) when the lease is held.
 * KEYS: lease, fence. ARGV: instance id, TTL (ms).
 */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
if not redis.call('SET', KEYS[1], token .. '|' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return token`;

/** Extends the lease while it still holds this value. KEYS: lease. ARGV: value, TTL (ms). */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Deletes the lease only while it still holds this value. KEYS: lease. ARGV: value. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Writes KEYS[2] only while the lease (KEYS[1]) still holds ARGV[1]: a fenced write. ARGV[2]: the value. */
const WRITE_IF_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]); return 1 end
return 0`;

/** Who holds the lease now. */
export interface LeaseHolder {
  token: number;
  instanceId: string;
  /** Time left before it lapses unless renewed (ms). */
  ttlMs: number;
}

/**
 * The trainer's run lease in Redis (one run at a time across replicas): a key set NX with a TTL,
 * renewed by its holder every third of the TTL, deleted only by its holder (compare-and-delete),
 * carrying a fencing token that grows with every grant, so a holder that stalled past its TTL
 * cannot overwrite what a later holder wrote (`HeldLease.writeIfHeld`).
 */
export class RedisLease {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    readonly instanceId: string,
    readonly ttlMs: number,
  ) {
    if (instanceId.includes('|')) throw new Error(`the instance id must not contain "|": ${instanceId}`);
  }

  /** The lease, or undefined when another holder has it. */
  async acquire(): Promise<HeldLease | undefined> {
    const token = (await this.redis.eval(ACQUIRE, 2, this.keys.trainerLease(), this.keys.trainerFence(), this.instanceId, String(this.ttlMs))) as number | null;
    if (token === null) return undefined;
    return new HeldLease(this.redis, this.keys, Number(token), `${token}|${this.instanceId}`, this.ttlMs);
  }

  async holder(): Promise<LeaseHolder | undefined> {
    const [value, ttl] = await Promise.all([this.redis.get(this.keys.trainerLease()), this.redis.pttl(this.keys.trainerLease())]);
    if (value === null) return undefined;
    const bar = value.indexOf('|');
    return { token: Number(value.slice(0, bar)), instanceId: value.slice(bar + 1), ttlMs: Math.max(0, ttl) };
  }
}

/**
 * A lease this process holds. It renews itself until released; `signal` aborts when the lease is
 * lost (someone else's value in the key, or no successful renewal within the TTL, e.g. Redis
 * unreachable), with the reason.
 */
export class HeldLease {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private lastRenewedAt = Date.now();
  private released = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    readonly token: number,
    private readonly value: string,
    private readonly ttlMs: number,
  ) {
    this.timer = setInterval(() => void this.renew(), Math.max(50, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  /** Aborts (reason: an Error saying why) when the lease is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  /** Extends the TTL; false (and the signal aborted) once the lease is gone. */
  async renew(): Promise<boolean> {
    if (this.released || this.lost) return false;
    try {
      const ok = (await this.redis.eval(RENEW, 1, this.keys.trainerLease(), this.value, String(this.ttlMs))) === 1;
      if (!ok) this.lose(`the lease is no longer ours (token ${this.token})`);
      else this.lastRenewedAt = Date.now();
      return ok;
    } catch (error) {
      // Redis did not answer: the lease may still be ours until its TTL runs out.
      if (Date.now() - this.lastRenewedAt >= this.ttlMs) this.lose(`could not renew the lease for ${this.ttlMs} ms: ${String(error)}`);
      return false;
    }
  }

  /** Whether the key still holds this lease (a round trip, for a caller about to commit something). */
  async stillHeld(): Promise<boolean> {
    if (this.lost) return false;
    return (await this.redis.get(this.keys.trainerLease())) === this.value;
  }

  /** Writes `value` under `key` only while this lease holds (one Lua script): false when it is lost. */
  async writeIfHeld(key: string, value: string): Promise<boolean> {
    const ok = (await this.redis.eval(WRITE_IF_HELD, 2, this.keys.trainerLease(), key, this.value, value)) === 1;
    if (!ok) this.lose(`the lease is no longer ours (token ${this.token}); write to ${key} refused`);
    return ok;
  }

  /** Stops renewing and deletes the key if it still holds this lease; true when it did. */
  async release(): Promise<boolean> {
    if (this.released) return false;
    this.released = true;
    clearInterval(this.timer);
    return (await this.redis.eval(RELEASE, 1, this.keys.trainerLease(), this.value)) === 1;
  }

  private lose(reason: string): void {
    clearInterval(this.timer);
    if (!this.lost) this.controller.abort(new Error(reason));
  }
}

import { createHash, randomBytes } from 'node:crypto';
import { ForbiddenError, InvalidInputError, NotFoundError, OverloadedError, UnauthenticatedError } from '@clickwise/errors';
import type { RedisClient, RedisKeys } from '@clickwise/redis';
import { isScope, type Scope } from './scopes.js';

/** A key as stored: never the secret itself, only its SHA-256. */
export interface ApiKeyRecord {
  /** Public id (`key_…`), safe to log and to put on events. */
  id: string;
  name: string;
  scopes: Scope[];
  /** Most events per second this key may send (over all replicas); 0 = unlimited. */
  ratePerSecond: number;
  createdAtMs: number;
  /** Set once revoked; a revoked key authenticates nobody. */
  revokedAtMs?: number;
}

export interface CreatedApiKey {
  /** The secret. Shown once; only its hash is kept. */
  key: string;
  record: ApiKeyRecord;
}

/** The caller went past its key's rate: HTTP 429 / gRPC RESOURCE_EXHAUSTED with a retry delay. */
export class RateLimitedError extends OverloadedError {}

const KEY_PREFIX = 'cw_';

/** SHA-256 of a secret key, hex. */
export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function toFields(record: ApiKeyRecord): Record<string, string> {
  const fields: Record<string, string> = {
    id: record.id,
    name: record.name,
    scopes: record.scopes.join(','),
    rate: String(record.ratePerSecond),
    createdAtMs: String(record.createdAtMs),
  };
  if (record.revokedAtMs !== undefined) fields.revokedAtMs = String(record.revokedAtMs);
  return fields;
}

function fromFields(fields: Record<string, string>): ApiKeyRecord | undefined {
  if (!fields.id) return undefined;
  const record: ApiKeyRecord = {
    id: fields.id,
    name: fields.name ?? '',
    scopes: (fields.scopes ?? '').split(',').filter(isScope),
    ratePerSecond: Number(fields.rate ?? 0) || 0,
    createdAtMs: Number(fields.createdAtMs ?? 0),
  };
  if (fields.revokedAtMs) record.revokedAtMs = Number(fields.revokedAtMs);
  return record;
}

/**
 * The one API key store every service shares, in Redis. Secrets are random (`cw_` + 32 base64url
 * characters) and stored only as their SHA-256; a lookup hashes the presented secret and reads the
 * record under that hash, so one round trip authenticates.
 */
export class ApiKeyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: { name: string; scopes: Scope[]; ratePerSecond?: number }): Promise<CreatedApiKey> {
    const name = input.name.trim();
    if (!name) throw new InvalidInputError('a key needs a name', 'name');
    if (input.scopes.length === 0) throw new InvalidInputError('a key needs at least one scope', 'scopes');
    const rate = input.ratePerSecond ?? 0;
    if (!Number.isInteger(rate) || rate < 0) throw new InvalidInputError('rate must be a whole number >= 0 (0 = unlimited)', 'rate');
    const key = KEY_PREFIX + randomBytes(24).toString('base64url');
    const record: ApiKeyRecord = {
      id: `key_${randomBytes(6).toString('hex')}`,
      name,
      scopes: [...new Set(input.scopes)],
      ratePerSecond: rate,
      createdAtMs: this.now(),
    };
    const hash = hashKey(key);
    await this.redis.multi().hset(this.keys.apiKey(hash), toFields(record)).hset(this.keys.apiKeyIndex(), record.id, hash).exec();
    return { key, record };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const index = await this.redis.hgetall(this.keys.apiKeyIndex());
    const hashes = Object.values(index);
    if (hashes.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const hash of hashes) pipeline.hgetall(this.keys.apiKey(hash));
    const results = (await pipeline.exec()) ?? [];
    const records: ApiKeyRecord[] = [];
    for (const [error, fields] of results) {
      if (error) throw error;
      const record = fromFields(fields as Record<string, string>);
      if (record) records.push(record);
    }
    return records.sort((a, b) => a.createdAtMs - b.createdAtMs || a.id.localeCompare(b.id));
  }

  /** Revokes a key by id; it stops authenticating at once. Revoking twice keeps the first time. */
  async revoke(id: string): Promise<ApiKeyRecord> {
    const hash = await this.redis.hget(this.keys.apiKeyIndex(), id);
    if (!hash) throw new NotFoundError(`no API key with id "${id}"`);
    const key = this.keys.apiKey(hash);
    await this.redis.hsetnx(key, 'revokedAtMs', String(this.now()));
    const record = fromFields(await this.redis.hgetall(key));
    if (!record) throw new NotFoundError(`no API key with id "${id}"`);
    return record;
  }

  /** The record of a presented secret; UnauthenticatedError when unknown or revoked. */
  async authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    if (!secret) throw new UnauthenticatedError('an API key is required (x-api-key header, Bearer token or ?key=)');
    const hash = hashKey(secret);
    const fields = await this.redis.hgetall(this.keys.apiKey(hash));
    const record = fromFields(fields);
    // The hash is the address: a wrong secret finds nothing, and its timing says nothing about the right one.
    if (!record) throw new UnauthenticatedError('unknown API key');
    if (record.revokedAtMs !== undefined) throw new UnauthenticatedError(`API key ${record.id} was revoked`);
    return record;
  }

  /**
   * Counts `events` against the key's rate in the current one-second window (shared by every
   * replica through Redis). The request that crosses the limit passes; later ones in the same
   * second get RateLimitedError with the time left in the window.
   */
  async consumeRate(record: ApiKeyRecord, events: number): Promise<void> {
    if (record.ratePerSecond <= 0 || events <= 0) return;
    const nowMs = this.now();
    const second = Math.floor(nowMs / 1000);
    const key = this.keys.rateLimit(record.id, second);
    const results = await this.redis.multi().incrby(key, events).pexpire(key, 2000).exec();
    const total = Number(results?.[0]?.[1] ?? 0);
    if (total - events >= record.ratePerSecond) {
      throw new RateLimitedError(
        `API key ${record.id} is limited to ${record.ratePerSecond} events/s`,
        Math.max(1, (second + 1) * 1000 - nowMs),
      );
    }
  }
}

/** Throws ForbiddenError unless `record` has one of `anyOf`. */
export function requireScope(record: ApiKeyRecord, anyOf: readonly Scope[]): void {
  if (!anyOf.some((s) => record.scopes.includes(s))) {
    throw new ForbiddenError(`API key ${record.id} lacks the ${anyOf.map((s) => `"${s}"`).join(' or ')} scope`);
  }
}

import { ApiKeyCache, requireScope, type ApiKeyRecord, type ApiKeyStore, type Scope } from '@clickwise/api-keys';
import { createParamDecorator, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type * as grpc from '@grpc/grpc-js';

/** The secret of `Authorization: Bearer <secret>`, if that is what the header holds. */
function bearer(value: string | undefined): string | undefined {
  return value?.startsWith('Bearer ') ? value.slice(7).trim() || undefined : undefined;
}

/**
 * The API key of an HTTP request, as docs/specs/http-ingest.md documents: the `x-api-key` header,
 * else `Authorization: Bearer <key>`, else the query parameter `?key=` (navigator.sendBeacon
 * cannot set headers).
 */
export function apiKeyFromHttp(request: { headers: Record<string, string | string[] | undefined>; query?: unknown }): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = request.headers.authorization;
  const fromAuth = bearer(typeof auth === 'string' ? auth : undefined);
  if (fromAuth) return fromAuth;
  const query = request.query as Record<string, unknown> | undefined;
  const key = query?.key;
  return typeof key === 'string' && key ? key : undefined;
}

/** The API key of a gRPC call: metadata `x-api-key`, else `authorization: Bearer <key>`. */
export function apiKeyFromGrpc(metadata: grpc.Metadata): string | undefined {
  const first = (name: string) => {
    const value = metadata.get(name)[0];
    return typeof value === 'string' && value ? value : undefined;
  };
  return first('x-api-key') ?? bearer(first('authorization'));
}

/**
 * The shared key store (libs/api-keys) with lookups cached in process for `cacheTtlMs` (a revoke
 * takes effect within that time; 0 asks Redis every time), and the per-key rate limit.
 */
export class ApiKeyAuthority {
  private readonly cache: ApiKeyCache;

  constructor(
    private readonly store: ApiKeyStore,
    cacheTtlMs: number,
  ) {
    this.cache = new ApiKeyCache((secret) => store.authenticate(secret), { ttlMs: cacheTtlMs });
  }

  /** The key's record; UnauthenticatedError when missing, unknown or revoked. */
  authenticate(secret: string | undefined): Promise<ApiKeyRecord> {
    return this.cache.authenticate(secret);
  }

  /** Spends `events` of the key's rate; RateLimitedError (429) when over. */
  consumeRate(record: ApiKeyRecord, events: number): Promise<void> {
    return this.store.consumeRate(record, events);
  }
}

const SCOPES_KEY = 'clickwise:scopes';

/** The route needs an API key with one of these scopes (checked by ApiKeyGuard). */
export const RequireScopes = (...scopes: Scope[]) => SetMetadata(SCOPES_KEY, scopes);

interface KeyedRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  apiKey?: ApiKeyRecord;
}

/**
 * Authenticates the caller of a route marked `@RequireScopes(...)` and checks the scope; the
 * domain errors it throws (401, 403) are answered by DomainErrorFilter. The record is then
 * available to the handler through `@CallerKey()`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyAuthority,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scopes = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, [context.getHandler(), context.getClass()]);
    if (!scopes) return true;
    const request = context.switchToHttp().getRequest<KeyedRequest>();
    const record = await this.keys.authenticate(apiKeyFromHttp(request));
    requireScope(record, scopes);
    request.apiKey = record;
    return true;
  }
}

/** The API key record ApiKeyGuard authenticated for this request. */
export const CallerKey = createParamDecorator((_data: unknown, context: ExecutionContext): ApiKeyRecord => {
  const record = context.switchToHttp().getRequest<KeyedRequest>().apiKey;
  if (!record) throw new Error('@CallerKey() needs @RequireScopes(...) on the route');
  return record;
});

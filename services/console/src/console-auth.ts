import { requireScope, type ApiKeyRecord } from '@clickwise/api-keys';
import { apiKeyFromHttp, type ApiKeyAuthority } from '@clickwise/service';

/** The HttpOnly cookie that carries the ops key after the page was opened with `/?key=…`. */
export const KEY_COOKIE = 'cw_console_key';

interface KeyedRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  for (const part of text?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value) || undefined;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The Set-Cookie value that keeps `key` for the page (HttpOnly, SameSite=Strict, Secure behind HTTPS). */
export function keyCookie(key: string, maxAgeS: number, secure: boolean): string {
  return `${KEY_COOKIE}=${encodeURIComponent(key)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${KEY_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/**
 * Every console route needs a key with the `ops` scope (libs/api-keys), read as the other services
 * read keys (x-api-key, Bearer, ?key=) or from the page's cookie: 401 without a valid key, 403 with
 * a key of another scope (the domain errors; the kit's filter answers them).
 */
export class ConsoleAuth {
  constructor(private readonly keys: Pick<ApiKeyAuthority, 'authenticate'>) {}

  /** The key a request presents: header, bearer or query first, else the cookie. */
  presented(request: KeyedRequest): string | undefined {
    return apiKeyFromHttp(request) ?? cookieValue(request.headers.cookie, KEY_COOKIE);
  }

  async authorize(request: KeyedRequest): Promise<ApiKeyRecord> {
    return this.check(this.presented(request));
  }

  async check(key: string | undefined): Promise<ApiKeyRecord> {
    const record = await this.keys.authenticate(key);
    requireScope(record, ['ops']);
    return record;
  }
}

import type { FastifyInstance } from 'fastify';

/** CORS settings for browser storefronts posting to /v1/events from their own origin. */
export interface CorsPolicy {
  /** Allowed origins (`scheme://host[:port]`), or `*` for any. */
  origins: readonly string[] | '*';
  /** How long a browser may cache a preflight answer (seconds). */
  maxAgeSeconds: number;
}

/** The paths CORS applies to (the ingest API; not health or metrics). */
export const CORS_PATHS = ['/v1/events'] as const;

const ALLOW_HEADERS = 'content-type, x-api-key, authorization';
const ALLOW_METHODS = 'POST';
/** Retry-After is not a CORS-safelisted response header: without this a page could not read it. */
const EXPOSE_HEADERS = 'retry-after';

/** `CORS_ORIGINS`: `*` (default) or a comma-separated list of origins; trailing slashes are ignored. */
export function parseCorsOrigins(value: string): readonly string[] | '*' {
  const list = value
    .split(',')
    .map((s) => s.trim().replace(/\/+$/, ''))
    .filter((s) => s !== '');
  if (list.length === 0 || list.includes('*')) return '*';
  return list;
}

/**
 * The CORS headers of an answer to a request from `origin` (undefined: not a cross-origin browser
 * request). Origins outside the allow-list get no Access-Control-Allow-Origin (the browser then
 * refuses to hand the answer to the page); with a list, `Vary: Origin` keeps caches honest.
 */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined, preflight: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  if (policy.origins === '*') headers['access-control-allow-origin'] = '*';
  else {
    headers.vary = 'Origin';
    if (origin === undefined || !policy.origins.includes(origin)) return headers;
    headers['access-control-allow-origin'] = origin;
  }
  if (preflight) {
    headers['access-control-allow-methods'] = ALLOW_METHODS;
    headers['access-control-allow-headers'] = ALLOW_HEADERS;
    headers['access-control-max-age'] = String(policy.maxAgeSeconds);
  } else {
    headers['access-control-expose-headers'] = EXPOSE_HEADERS;
  }
  return headers;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Answers preflight `OPTIONS /v1/events` (204) and adds the CORS headers to every answer on those
 * paths, errors included (also the ones Fastify or Nest make, e.g. 413 for an oversized body), so
 * a storefront page can read why it was refused.
 */
export function installCors(fastify: FastifyInstance, policy: CorsPolicy): void {
  for (const path of CORS_PATHS) {
    fastify.options(path, (request, reply) => {
      const origin = request.headers.origin;
      void reply
        .code(204)
        .headers(corsHeaders(policy, typeof origin === 'string' ? origin : undefined, true))
        .send();
    });
  }
  const paths = new Set<string>(CORS_PATHS);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (request.method !== 'OPTIONS' && paths.has(pathOf(request.url))) {
      const origin = request.headers.origin;
      void reply.headers(corsHeaders(policy, typeof origin === 'string' ? origin : undefined, false));
    }
    done(null, payload);
  });
}

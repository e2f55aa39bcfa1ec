import { ClickwiseError, ForbiddenError, InvalidInputError, NotFoundError, OverloadedError, UnauthenticatedError, UnavailableError } from '@clickwise/errors';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The one mapping of domain errors to HTTP answers at this edge. */
export function httpError(error: unknown): HttpAnswer {
  const message = error instanceof Error ? error.message : String(error);
  const answer = (status: number, code: string, headers: Record<string, string> = {}, field?: string): HttpAnswer => ({
    status,
    headers,
    body: { error: { code, message, ...(field ? { field } : {}) } },
  });
  const retryAfter = (ms: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });
  if (error instanceof InvalidInputError) return answer(400, error.code, {}, error.field);
  if (error instanceof UnauthenticatedError) return answer(401, error.code, { 'www-authenticate': 'Bearer realm="clickwise"' });
  if (error instanceof ForbiddenError) return answer(403, error.code);
  if (error instanceof NotFoundError) return answer(404, error.code);
  if (error instanceof OverloadedError) return answer(429, error.code, retryAfter(error.retryAfterMs));
  if (error instanceof UnavailableError) return answer(503, error.code, retryAfter(error.retryAfterMs));
  if (error instanceof ClickwiseError) return answer(400, error.code);
  return answer(500, 'internal', {});
}

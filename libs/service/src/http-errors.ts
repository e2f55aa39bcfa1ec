import { ClickwiseError, ForbiddenError, InvalidInputError, NotFoundError, OverloadedError, UnauthenticatedError, UnavailableError } from '@clickwise/errors';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { logger } from './logger.js';

/** What an HTTP edge answers. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const retryAfter = (ms: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });

/**
 * The one mapping of domain errors (libs/errors) to HTTP answers: 400 invalid input (with its
 * field), 401 with WWW-Authenticate, 403, 404, 429 and 503 with Retry-After, 500 for anything else.
 * The body is always `{"error": {"code", "message", "field"?}}`.
 */
export function httpAnswer(error: unknown): HttpAnswer {
  const message = error instanceof Error ? error.message : String(error);
  const answer = (status: number, code: string, headers: Record<string, string> = {}, field?: string): HttpAnswer => ({
    status,
    headers,
    body: { error: { code, message, ...(field ? { field } : {}) } },
  });
  if (error instanceof InvalidInputError) return answer(400, error.code, {}, error.field);
  if (error instanceof UnauthenticatedError) return answer(401, error.code, { 'www-authenticate': 'Bearer realm="clickwise"' });
  if (error instanceof ForbiddenError) return answer(403, error.code);
  if (error instanceof NotFoundError) return answer(404, error.code);
  if (error instanceof OverloadedError) return answer(429, error.code, retryAfter(error.retryAfterMs));
  if (error instanceof UnavailableError) return answer(503, error.code, retryAfter(error.retryAfterMs));
  if (error instanceof ClickwiseError) return answer(400, error.code);
  return answer(500, 'internal');
}

/**
 * Answers whatever a controller throws: domain errors through `httpAnswer`, Nest's own HTTP
 * exceptions (404 for an unknown route, 413 from a body parser) as they are. A 500 is logged.
 */
@Catch()
export class DomainErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof HttpException) {
      const response = error.getResponse();
      void reply.code(error.getStatus()).send(typeof response === 'string' ? { error: { code: 'http_error', message: response } } : response);
      return;
    }
    const answer = httpAnswer(error);
    if (answer.status >= 500) logger.error('request failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    void reply.code(answer.status).headers(answer.headers).send(answer.body);
  }
}

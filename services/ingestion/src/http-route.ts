import type { ApiKeyRecord, Scope } from '@clickwise/api-keys';
import { apiKeyFromHttp, httpAnswer, type HttpAnswer } from '@clickwise/service';
import { extractContext } from '@clickwise/telemetry';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IngestionMetrics } from './ingestion.metrics.js';
import type { IngestionService } from './ingestion.service.js';
import type { RawBody } from './raw-body.js';
import type { BodyProblem } from './validation.js';

const tracer = trace.getTracer('clickwise-ingestion');

/**
 * The frame of an HTTP ingest route (events, catalogue): a server span continuing the caller's
 * trace (5xx marks it an error), the request counted and timed as route "http", the answer sent.
 */
export async function answerTraced(method: 'POST' | 'PUT', path: string, request: FastifyRequest, reply: FastifyReply, metrics: IngestionMetrics, handle: () => Promise<HttpAnswer>): Promise<void> {
  const started = performance.now();
  const answer = await context.with(extractContext(request.headers), () =>
    tracer.startActiveSpan(`${method} ${path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } }, async (span) => {
      try {
        const result = await handle();
        span.setAttribute('http.response.status_code', result.status);
        if (result.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return result;
      } finally {
        span.end();
      }
    }),
  );
  metrics.requests.inc({ route: 'http', status: String(answer.status) });
  metrics.latency.observe({ route: 'http' }, (performance.now() - started) / 1000);
  await reply.code(answer.status).headers(answer.headers).send(answer.body);
}

/** What an admitted request works on: the caller's key, the raw body, and how to refuse the body. */
export interface Admitted {
  key: ApiKeyRecord;
  raw: RawBody;
  /** Dead-letters the whole body and answers the problem. */
  refuse: (problem: BodyProblem) => Promise<HttpAnswer>;
}

/**
 * Authenticates the caller (one of `scopes`, or the ingest scopes), admits the body's size
 * against the in-flight bytes, then runs `work`; a domain error at any step is its answer, and the
 * admission is released at the end.
 */
export async function admitted(ingestion: IngestionService, request: FastifyRequest, scopes: readonly Scope[] | undefined, work: (admitted: Admitted) => Promise<HttpAnswer>): Promise<HttpAnswer> {
  let key: ApiKeyRecord;
  let release: () => void;
  const raw = (request.body as RawBody | undefined) ?? { bytes: Buffer.alloc(0), size: 0, prefix: Buffer.alloc(0) };
  try {
    key = await ingestion.authorize(apiKeyFromHttp(request), 'http', scopes);
    release = ingestion.admit(raw.size, 'http');
  } catch (error) {
    return httpAnswer(error);
  }
  const refuse = async (p: BodyProblem): Promise<HttpAnswer> => {
    await ingestion.rejectBody(key, 'http', p, raw.bytes ?? raw.prefix, raw.size);
    return { status: p.status, headers: {}, body: { error: { code: p.code, message: p.reason, ...(p.field ? { field: p.field } : {}) } } };
  };
  try {
    return await work({ key, raw, refuse });
  } catch (error) {
    return httpAnswer(error);
  } finally {
    release();
  }
}

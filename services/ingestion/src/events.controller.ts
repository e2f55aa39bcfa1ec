import type { ApiKeyRecord } from '@clickwise/api-keys';
import { apiKeyFromHttp, httpAnswer as httpError, type HttpAnswer } from '@clickwise/service';
import { extractContext } from '@clickwise/telemetry';
import { Controller, Post, Req, Res } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestionConfig } from './config.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { IngestionService } from './ingestion.service.js';
import type { RawBody } from './raw-body.js';
import { checkContentType, parseBody, type BodyProblem } from './validation.js';

const tracer = trace.getTracer('clickwise-ingestion');

/** POST /v1/events: one event or {"events": [...]}, answered after Kafka acknowledged. */
@Controller()
export class EventsController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly config: IngestionConfig,
    private readonly metrics: IngestionMetrics,
  ) {}

  @Post('v1/events')
  async post(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const parent = extractContext(request.headers);
    const answer = await context.with(parent, () =>
      tracer.startActiveSpan('POST /v1/events', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': '/v1/events' } }, async (span) => {
        try {
          const result = await this.handle(request);
          span.setAttribute('http.response.status_code', result.status);
          if (result.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          return result;
        } finally {
          span.end();
        }
      }),
    );
    this.metrics.requests.inc({ route: 'http', status: String(answer.status) });
    this.metrics.latency.observe({ route: 'http' }, (performance.now() - started) / 1000);
    await reply.code(answer.status).headers(answer.headers).send(answer.body);
  }

  private async handle(request: FastifyRequest): Promise<HttpAnswer> {
    let key: ApiKeyRecord;
    try {
      key = await this.ingestion.authorize(apiKeyFromHttp(request), 'http');
    } catch (error) {
      return httpError(error);
    }
    const raw = (request.body as RawBody | undefined) ?? { bytes: Buffer.alloc(0), size: 0, prefix: Buffer.alloc(0) };
    let release: () => void;
    try {
      release = this.ingestion.admit(raw.size, 'http');
    } catch (error) {
      return httpError(error);
    }
    try {
      const limits = this.config.limits;
      let problem: BodyProblem | undefined = checkContentType(request.headers['content-type']);
      if (!problem && raw.bytes === undefined) {
        problem = { status: 413, code: 'too_large', reason: `the body is ${raw.size} bytes; at most ${limits.maxBatchBytes} are accepted per request` };
      }
      let parsed: ReturnType<typeof parseBody> | undefined;
      if (!problem) {
        parsed = parseBody(raw.bytes!, limits);
        if (!parsed.ok) problem = parsed.problem;
      }
      if (problem || !parsed?.ok) {
        const p = problem!;
        await this.ingestion.rejectBody(key, 'http', p, raw.bytes ?? raw.prefix, raw.size);
        return { status: p.status, headers: {}, body: { error: { code: p.code, message: p.reason, ...(p.field ? { field: p.field } : {}) } } };
      }
      const result = await this.ingestion.ingest(key, 'http', { kind: 'json', events: parsed.events, single: parsed.single });
      const body = {
        accepted: result.accepted,
        duplicates: result.duplicates,
        rejected: result.rejected.map((r) => ({ index: r.index, eventId: r.eventId, field: r.field, reason: r.reason })),
      };
      if (result.inFlight.length > 0) {
        return {
          status: 503,
          headers: { 'retry-after': '1' },
          body: {
            ...body,
            error: { code: 'in_flight', message: `${result.inFlight.length} events are being written by another request right now; send the same events again` },
          },
        };
      }
      if (result.accepted + result.duplicates === 0) {
        const first = result.rejected[0];
        const message = parsed.single && first ? `${first.field}: ${first.reason}` : `all ${result.rejected.length} events were rejected`;
        return { status: 400, headers: {}, body: { ...body, error: { code: 'invalid_events', message } } };
      }
      return { status: 200, headers: {}, body };
    } catch (error) {
      return httpError(error);
    } finally {
      release();
    }
  }
}

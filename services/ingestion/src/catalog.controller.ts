import type { ApiKeyRecord } from '@clickwise/api-keys';
import { apiKeyFromHttp, httpAnswer as httpError, type HttpAnswer } from '@clickwise/service';
import { extractContext } from '@clickwise/telemetry';
import { Controller, Put, Req, Res } from '@nestjs/common';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CatalogIngestion, parseCatalogBody, type ParsedCatalogBody } from './catalog.service.js';
import { IngestionConfig } from './config.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { IngestionService } from './ingestion.service.js';
import type { RawBody } from './raw-body.js';

const tracer = trace.getTracer('clickwise-ingestion');
const ROUTE = '/v1/catalog/items';

/**
 * PUT /v1/catalog/items: `{"items": [...]}` with the `catalog` scope, answered after Kafka
 * acknowledged the accepted items (ADR 0098). 200 when some item landed (refused ones are listed),
 * 400 when none did.
 */
@Controller()
export class CatalogController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly catalog: CatalogIngestion,
    private readonly config: IngestionConfig,
    private readonly metrics: IngestionMetrics,
  ) {}

  @Put('v1/catalog/items')
  async put(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const started = performance.now();
    const parent = extractContext(request.headers);
    const answer = await context.with(parent, () =>
      tracer.startActiveSpan(`PUT ${ROUTE}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'PUT', 'url.path': ROUTE } }, async (span) => {
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
      key = await this.ingestion.authorize(apiKeyFromHttp(request), 'http', ['catalog']);
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
      const maxBytes = this.config.limits.maxBatchBytes;
      const parsed: ParsedCatalogBody =
        raw.bytes === undefined
          ? { ok: false, problem: { status: 413, code: 'too_large', reason: `the body is ${raw.size} bytes; at most ${maxBytes} are accepted per request` } }
          : parseCatalogBody(request.headers['content-type'], raw.bytes, maxBytes);
      if (!parsed.ok) {
        const p = parsed.problem;
        await this.ingestion.rejectBody(key, 'http', p, raw.bytes ?? raw.prefix, raw.size);
        return { status: p.status, headers: {}, body: { error: { code: p.code, message: p.reason, ...(p.field ? { field: p.field } : {}) } } };
      }
      const result = await this.catalog.put(key, 'http', { kind: 'json', items: parsed.items });
      const body = { accepted: result.accepted, rejected: result.rejected.map((r) => ({ index: r.index, itemId: r.itemId, field: r.field, reason: r.reason })) };
      if (result.accepted === 0) {
        const first = result.rejected[0];
        const message = result.rejected.length === 1 && first ? `${first.field}: ${first.reason}` : `all ${result.rejected.length} items were rejected`;
        return { status: 400, headers: {}, body: { ...body, error: { code: 'invalid_items', message } } };
      }
      return { status: 200, headers: {}, body };
    } catch (error) {
      return httpError(error);
    } finally {
      release();
    }
  }
}

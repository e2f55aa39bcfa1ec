import { Controller, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CatalogIngestion, parseCatalogBody, type ParsedCatalogBody } from './catalog.service.js';
import { IngestionConfig } from './config.js';
import { admitted, answerTraced } from './http-route.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { IngestionService } from './ingestion.service.js';

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
  put(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerTraced('PUT', '/v1/catalog/items', request, reply, this.metrics, () =>
      admitted(this.ingestion, request, ['catalog'], async ({ key, raw, refuse }) => {
        const maxBytes = this.config.limits.maxBatchBytes;
        const parsed: ParsedCatalogBody =
          raw.bytes === undefined
            ? { ok: false, problem: { status: 413, code: 'too_large', reason: `the body is ${raw.size} bytes; at most ${maxBytes} are accepted per request` } }
            : parseCatalogBody(request.headers['content-type'], raw.bytes, maxBytes);
        if (!parsed.ok) return refuse(parsed.problem);
        const result = await this.catalog.put(key, 'http', { kind: 'json', items: parsed.items });
        const body = { accepted: result.accepted, rejected: result.rejected.map((r) => ({ index: r.index, itemId: r.itemId, field: r.field, reason: r.reason })) };
        if (result.accepted === 0) {
          const first = result.rejected[0];
          const message = result.rejected.length === 1 && first ? `${first.field}: ${first.reason}` : `all ${result.rejected.length} items were rejected`;
          return { status: 400, headers: {}, body: { ...body, error: { code: 'invalid_items', message } } };
        }
        return { status: 200, headers: {}, body };
      }),
    );
  }
}

import { Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestionConfig } from './config.js';
import { admitted, answerTraced } from './http-route.js';
import { IngestionMetrics } from './ingestion.metrics.js';
import { IngestionService } from './ingestion.service.js';
import { checkContentType, parseBody, type BodyProblem } from './validation.js';

/** POST /v1/events: one event or {"events": [...]}, answered after Kafka acknowledged. */
@Controller()
export class EventsController {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly config: IngestionConfig,
    private readonly metrics: IngestionMetrics,
  ) {}

  @Post('v1/events')
  post(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerTraced('POST', '/v1/events', request, reply, this.metrics, () =>
      admitted(this.ingestion, request, undefined, async ({ key, raw, refuse }) => {
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
        if (problem || !parsed?.ok) return refuse(problem!);
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
      }),
    );
  }
}

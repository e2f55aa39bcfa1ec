import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthService } from './health.service.js';
import { IngestionMetrics } from './ingestion.metrics.js';

/** Liveness, readiness (Kafka and Redis) and Prometheus metrics. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: IngestionMetrics,
  ) {}

  /** The process is up and its event loop answers. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when Kafka and Redis answer and the service is not shutting down; 503 otherwise. */
  @Get('health/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const state = this.health.readiness;
    await reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', ...state });
  }

  @Get('metrics')
  async metricsText(@Res() reply: FastifyReply): Promise<void> {
    const text = await this.metrics.registry.metrics();
    await reply.code(200).header('content-type', this.metrics.registry.contentType).send(text);
  }
}

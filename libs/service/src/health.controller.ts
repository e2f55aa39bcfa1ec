import { Registry } from '@clickwise/telemetry';
import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Health } from './health.js';

/** The paths every service answers (its manifest names the same ones). */
export const SERVICE_PATHS = { live: '/health/live', ready: '/health/ready', metrics: '/metrics' } as const;

/** Liveness, readiness (the named checks) and Prometheus metrics: the same in every service. */
@Controller()
export class HealthController {
  constructor(
    private readonly health: Health,
    private readonly registry: Registry,
  ) {}

  /** The process is up and its event loop answers. */
  @Get(SERVICE_PATHS.live)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 when every check holds and the service is not shutting down; 503 otherwise. Each check is a field. */
  @Get(SERVICE_PATHS.ready)
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const state = this.health.readiness;
    await reply
      .code(state.ready ? 200 : 503)
      .send({ status: state.ready ? 'ready' : 'not ready', ready: state.ready, draining: state.draining, checkedAtMs: state.checkedAtMs, ...state.checks });
  }

  @Get(SERVICE_PATHS.metrics)
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const text = await this.registry.metrics();
    await reply.code(200).header('content-type', this.registry.contentType).send(text);
  }
}

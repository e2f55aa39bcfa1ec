import { ApiKeyStore, requireScope } from '@clickwise/api-keys';
import { ClickwiseError, ForbiddenError, InvalidInputError, UnauthenticatedError, UnavailableError } from '@clickwise/errors';
import { Body, Controller, Get, Headers, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FeaturesMetrics } from './features.metrics.js';
import { FeaturesRuntime, KafkaConnection } from './features.runtime.js';
import { FeaturesService } from './features.service.js';
import { HealthService } from './health.service.js';

/** Liveness, readiness, metrics, status, and the erasure endpoint for operators. */
@Controller()
export class OpsController {
  constructor(
    private readonly health: HealthService,
    private readonly metrics: FeaturesMetrics,
    private readonly service: FeaturesService,
    private readonly runtime: FeaturesRuntime,
    private readonly connection: KafkaConnection,
    private readonly apiKeys: ApiKeyStore,
  ) {}

  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** 200 once the consumers run and Kafka and Redis answer; 503 otherwise. */
  @Get('health/ready')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const state = await this.health.readiness();
    await reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', ...state });
  }

  @Get('metrics')
  async metricsText(@Res() reply: FastifyReply): Promise<void> {
    await reply.code(200).header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }

  /** The definitions version, the partitions this replica holds and every stored position. */
  @Get('status')
  async status(): Promise<unknown> {
    const positions = await this.service.positions();
    return {
      definitionsVersion: this.service.definitionsVersion,
      assignedPartitions: this.runtime.assigned,
      positions: [...positions].sort((a, b) => a[0] - b[0]).map(([partition, p]) => ({
        partition,
        nextOffset: p.offset,
        streamClock: Number.isFinite(p.clockMs) ? new Date(p.clockMs).toISOString() : null,
      })),
    };
  }

  /**
   * Forgets a shopper: writes the erasure to privacy.erasures.v1 (every service honours it) and
   * deletes the shopper's feature state now. Needs an API key with the `ops` scope. `deletedKeys`
   * counts what this call deleted (0 when the service's erasure consumer got there first).
   */
  @Post('ops/erasures')
  async erase(
    @Headers('x-api-key') apiKey: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    try {
      const secret = apiKey ?? (authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined);
      const record = await this.apiKeys.authenticate(secret);
      requireScope(record, ['ops']);
      const shopperKey = typeof body === 'object' && body !== null && 'shopperKey' in body ? body.shopperKey : undefined;
      if (typeof shopperKey !== 'string' || shopperKey === '' || shopperKey.length > 256) {
        throw new InvalidInputError('shopperKey must be a non-empty string of at most 256 characters', 'shopperKey');
      }
      const requestedAtMs = Date.now();
      await this.connection.publishErasure(shopperKey, requestedAtMs, `api-key:${record.id}`);
      const deletedKeys = await this.service.erase(shopperKey, requestedAtMs);
      await reply.code(200).send({ shopperKey, requestedAtMs, deletedKeys });
    } catch (error) {
      const status =
        error instanceof InvalidInputError ? 400
        : error instanceof UnauthenticatedError ? 401
        : error instanceof ForbiddenError ? 403
        : error instanceof UnavailableError ? 503
        : error instanceof ClickwiseError ? 400
        : 500;
      const code = error instanceof ClickwiseError ? error.code : 'internal';
      await reply.code(status).send({ error: { code, message: error instanceof Error ? error.message : String(error) } });
    }
  }
}

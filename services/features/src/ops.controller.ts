import type { ApiKeyRecord } from '@clickwise/api-keys';
import { InvalidInputError } from '@clickwise/errors';
import { CallerKey, RequireScopes } from '@clickwise/service';
import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { FeaturesRuntime, KafkaConnection } from './features.runtime.js';
import { FeaturesService } from './features.service.js';
import { SentimentFollower } from './sentiment.js';

/** Status and the erasure endpoint for operators (health and metrics come from the service kit). */
@Controller()
export class OpsController {
  constructor(
    private readonly service: FeaturesService,
    private readonly runtime: FeaturesRuntime,
    private readonly connection: KafkaConnection,
    private readonly sentiment: SentimentFollower,
  ) {}

  /** The definitions version, the partitions this replica holds and every stored position. */
  @Get('status')
  async status(): Promise<unknown> {
    const positions = await this.service.positions();
    return {
      definitionsVersion: this.service.definitionsVersion,
      sentimentModel: this.sentiment.status(),
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
  @HttpCode(200)
  @RequireScopes('ops')
  async erase(@CallerKey() caller: ApiKeyRecord, @Body() body: unknown): Promise<{ shopperKey: string; requestedAtMs: number; deletedKeys: number }> {
    const shopperKey = typeof body === 'object' && body !== null && 'shopperKey' in body ? body.shopperKey : undefined;
    if (typeof shopperKey !== 'string' || shopperKey === '' || shopperKey.length > 256) {
      throw new InvalidInputError('shopperKey must be a non-empty string of at most 256 characters', 'shopperKey');
    }
    const requestedAtMs = Date.now();
    await this.connection.publishErasure(shopperKey, requestedAtMs, `api-key:${caller.id}`);
    const deletedKeys = await this.service.erase(shopperKey, requestedAtMs);
    return { shopperKey, requestedAtMs, deletedKeys };
  }
}

import { RequireScopes } from '@clickwise/service';
import { Controller, Get, HttpCode, HttpException, Post } from '@nestjs/common';
import { RunRefused, TrainerRuntime } from './trainer.runtime.js';

/** Status and the train-now endpoint for operators (health and metrics come from the service kit). */
@Controller()
export class OpsController {
  constructor(private readonly runtime: TrainerRuntime) {}

  /** This replica, the lease holder, the run in progress, the last runs and the triggers. */
  @Get('status')
  status(): Promise<Record<string, unknown>> {
    return this.runtime.status();
  }

  /**
   * Starts a run now, whatever the triggers say: 202 with the run's id, fencing token and history
   * (follow it on GET /status); 409 while a run is under way on any replica. Needs the `ops` scope.
   */
  @Post('ops/train')
  @HttpCode(202)
  @RequireScopes('ops')
  async train(): Promise<{ runId: string; token: number; events: number; ends: Record<string, string> }> {
    try {
      return await this.runtime.trainNow();
    } catch (error) {
      if (error instanceof RunRefused) {
        throw new HttpException({ error: { code: error.code, message: error.message, ...(error.holder ? { holder: error.holder.instanceId, token: error.holder.token } : {}) } }, 409);
      }
      throw error;
    }
  }
}

import { runService } from '@clickwise/service';
import { AppModule } from './app.module.js';
import { TrainerConfig } from './config.js';
import type { JobFactory } from './job.js';

/** Runs a trainer process with the given training jobs (main.ts: the production jobs). */
export function runTrainer(jobs: JobFactory): void {
  runService({
    name: 'trainer',
    loadConfig: (env) => TrainerConfig.load(env),
    module: (config) => AppModule.register(config, jobs),
    readyFields: (config) => ({ topicPrefix: config.topicPrefix, redisKeyPrefix: config.redisKeyPrefix, intervalMs: config.intervalMs, retrainAfterEvents: config.retrainAfterEvents }),
    // A run in progress is asked to stop at SIGTERM; give it the grace time on top of the flush.
    forceExitAfterMs: (config) => config.shutdownGraceMs + config.leaseMs,
  });
}

import cluster, { type Worker } from 'node:cluster';
import { serveClusterMetrics } from '@clickwise/telemetry';
import { logger } from './logger.js';
import { runService, type KitConfig, type ServiceDefinition } from './run-service.js';

/** The environment variable that tells a worker its index (0, 1, …). */
export const WORKER_INDEX_ENV = 'CLICKWISE_WORKER';

export interface ClusterOptions<C> {
  /** How many processes serve (1: this process runs the service itself). */
  workers(config: C): number;
  /**
   * Limits that bound the process's memory, by environment variable, with their configured
   * values: each worker gets its share (value / workers, at least 1), so the sum stays the bound.
   */
  sharedBounds?(config: C): Record<string, number>;
}

/**
 * Runs the service in this process, or as `workers` node:cluster workers that share its ports
 * (the primary accepts connections and hands them out round-robin; ADR 0026). Every worker is a
 * whole service (its own Kafka clients and Redis connection, as a replica is), so only a service
 * whose replicas share their state through Kafka and Redis may run clustered. The primary serves
 * nothing itself; it
 * - forwards SIGTERM/SIGINT to every worker, waits until each has drained and stopped, and exits 0
 *   only if all did (1 otherwise, or when they outlast `forceExitAfterMs`, after SIGKILL);
 * - stops all and exits 1 when a worker dies on its own (the orchestrator restarts the whole);
 * - answers the workers' GET /metrics with the sum over all of them (the kit's registry shares
 *   itself with the primary in a worker: `shareClusterMetrics`).
 * A worker whose primary is gone (SIGKILLed) exits at once. A bad configuration is reported by the
 * service's own start-up, in this process.
 */
export function runClustered<C extends KitConfig>(definition: ServiceDefinition<C>, options: ClusterOptions<C>, env: NodeJS.ProcessEnv = process.env): void {
  if (cluster.isWorker) {
    process.once('disconnect', () => {
      logger.error('the primary is gone; this worker exits');
      process.exit(1);
    });
    runService(definition, env);
    return;
  }
  let config: C;
  try {
    config = definition.loadConfig(env);
  } catch {
    runService(definition, env); // logs every bad key and exits 2
    return;
  }
  const count = options.workers(config);
  if (count <= 1) {
    runService(definition, env);
    return;
  }
  logger.reset(definition.name);
  logger.setLevel(config.logLevel);
  const share: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.sharedBounds?.(config) ?? {})) share[name] = String(Math.max(1, Math.floor(value / count)));
  const forceExitAfterMs = definition.forceExitAfterMs?.(config) ?? config.shutdownGraceMs;
  cluster.schedulingPolicy = cluster.SCHED_RR;
  serveClusterMetrics();
  const workers = new Set<Worker>();
  let stopping = false;
  let failed = false;
  const stopAll = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const w of workers) w.process.kill(signal);
    setTimeout(() => {
      logger.error('workers did not stop in time; killing them');
      for (const w of workers) w.process.kill('SIGKILL');
      process.exit(1);
    }, forceExitAfterMs + 5000).unref();
  };
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork({ ...share, [WORKER_INDEX_ENV]: String(i) });
    workers.add(worker);
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      if (code !== 0) {
        failed = true;
        if (stopping) logger.error('worker did not stop cleanly', { worker: i, code, signal });
      }
      if (!stopping) {
        logger.error('worker exited; stopping the others', { worker: i, code, signal });
        stopAll('SIGTERM');
      }
      if (workers.size === 0) {
        logger.info('stopped', { workers: count });
        process.exit(failed ? 1 : 0);
      }
    });
  }
  logger.info(`${definition.name} primary started`, { workers: count, pid: process.pid });
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.once('SIGINT', () => stopAll('SIGTERM'));
}

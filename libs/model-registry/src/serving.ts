import { UnavailableError } from '@clickwise/errors';
import { KafkaConnection, type ServiceKafkaSettings, type ServiceLog } from '@clickwise/kafka';
import { ModelRegistry } from './registry.js';

/** Where a serving service refused a model version (counted as `…_models_rejected_total{stage}`). */
export type RejectionStage = 'compatibility' | 'format' | 'read' | 'load' | 'smoke';

/** A version a serving slot would not take (the served model stays). */
export class ModelRejectedError extends Error {
  constructor(
    readonly version: string,
    readonly stage: RejectionStage,
    cause: unknown,
  ) {
    super(`${version} rejected at ${stage}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ModelRejectedError';
  }
}

/** The configuration a serving service's registry follower is built from. */
export interface ServingSettings extends ServiceKafkaSettings {
  /** The service's consumer group; each replica follows models.published.v1 in `<groupId>-models-…`. */
  groupId: string;
  /** How long start-up waits to have read models.published.v1 (ms). */
  registryCatchUpMs: number;
  /** Verified artifact copies by SHA-256 (MODEL_CACHE_DIR). */
  modelCacheDir?: string | undefined;
  kafkaLingerMs: number;
}

/**
 * A serving service's Kafka (platform and producer) with the model registry each replica follows
 * (prediction, recommender): registry errors that do not stop it are logged as warnings.
 */
export class ServingConnection extends KafkaConnection {
  readonly registry: ModelRegistry;
  private readonly catchUpMs: number;

  constructor(service: string, config: ServingSettings, logger: ServiceLog) {
    super(service, config, logger, { lingerMs: config.kafkaLingerMs });
    this.catchUpMs = config.registryCatchUpMs;
    this.registry = new ModelRegistry(this.kafka, {
      groupPrefix: `${config.groupId}-models`,
      stage: service,
      catchUpTimeoutMs: config.registryCatchUpMs,
      ...(config.modelCacheDir ? { cacheDir: config.modelCacheDir } : {}),
      onError: (error, { what }) => logger.warn('model registry', { what, error: error instanceof Error ? error.message : String(error) }),
    });
  }

  /** Reads models.published.v1 to its end before the service serves; UnavailableError when that takes longer than registryCatchUpMs. */
  async startRegistry(): Promise<void> {
    const catchUp = await this.registry.start();
    if (!catchUp.caughtUp) throw new UnavailableError(`models.published.v1 was not read to its end within ${this.catchUpMs} ms`);
  }
}

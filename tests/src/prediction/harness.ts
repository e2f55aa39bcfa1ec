import { ApiKeyStore, type Scope } from '@clickwise/api-keys';
import { PredictionService, type Event } from '@clickwise/contracts';
import { FeatureReader, type FeatureSnapshot } from '@clickwise/feature-store';
import { createClient, type ServiceClient } from '@clickwise/grpc';
import { ModelRegistry, type ModelVersion } from '@clickwise/model-registry';
import { RedisKeys } from '@clickwise/redis';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { engine, FeaturesScope } from '../features/harness.js';

export const LINEAR_FORMAT = 'clickwise-linear/1';

/** One input of a `clickwise-linear/1` document (docs/specs/model-format-clickwise-linear.md). */
export interface LinearInput {
  name: string;
  transform?: 'identity' | 'log1p';
  mean?: number;
  scale?: number;
  weight: number;
}

export interface LinearDocument {
  format: typeof LINEAR_FORMAT;
  inputs: LinearInput[];
  bias: number;
  calibration?: { slope: number; intercept: number };
}

/**
 * A logistic regression over real features (hand-set weights: more views, carts and checkouts in
 * the session and the last day raise the odds, time since the last event lowers them), written
 * as the spec says. `bias` tells versions apart in the hot-swap test.
 */
export function propensityDocument(bias = -3): LinearDocument {
  return {
    format: LINEAR_FORMAT,
    inputs: [
      { name: 'shopper_product_view_count_24h', transform: 'log1p', mean: 1, scale: 1, weight: 0.6 },
      { name: 'shopper_add_to_cart_count_7d', transform: 'log1p', mean: 0.3, scale: 0.8, weight: 0.9 },
      { name: 'shopper_checkout_count_7d', transform: 'identity', mean: 0.1, scale: 0.5, weight: 1.1 },
      { name: 'shopper_seconds_since_last_event_30d', transform: 'log1p', mean: 6, scale: 3, weight: -0.4 },
      { name: 'session_product_views_24h', transform: 'identity', mean: 2, scale: 3, weight: 0.3 },
      { name: 'session_last_items_24h', transform: 'identity', mean: 1, scale: 2, weight: 0.2 },
    ],
    bias,
    calibration: { slope: 0.9, intercept: 0.05 },
  };
}

/** The spec's formula, computed here independently of the service: logit and each contribution. */
export function expectedScore(doc: LinearDocument, snapshot: FeatureSnapshot): { logit: number; baselineLogit: number; contributions: Map<string, number> } {
  const slope = doc.calibration?.slope ?? 1;
  const baselineLogit = slope * doc.bias + (doc.calibration?.intercept ?? 0);
  const contributions = new Map<string, number>();
  let logit = baselineLogit;
  for (const input of doc.inputs) {
    const f = snapshot.features.find((x) => x.name === input.name);
    if (!f) throw new Error(`no feature ${input.name}`);
    const v = f.value === null ? null : typeof f.value === 'number' ? f.value : f.value.length;
    const t = v === null ? (input.mean ?? 0) : input.transform === 'log1p' ? Math.log1p(Math.max(0, v)) : v;
    const c = (slope * input.weight * (t - (input.mean ?? 0))) / (input.scale ?? 1);
    contributions.set(input.name, c);
    logit += c;
  }
  return { logit, baselineLogit, contributions };
}

export type PredictionClient = ServiceClient<(typeof PredictionService)['method']>;

/** A test's features + prediction deployment on its own topics, keys and groups. */
export class PredictionScope extends FeaturesScope {
  readonly registry: ModelRegistry;
  readonly predictionGroup: string;
  private clients: PredictionClient[] = [];

  constructor(name: string, kafkaBrokers: string[], redisUrl: string) {
    super(name, kafkaBrokers, redisUrl);
    this.registry = new ModelRegistry(this.kafka, { groupPrefix: `${this.groupId}-test-registry`, by: 'test' });
    this.predictionGroup = `${this.groupId}-prediction`;
  }

  get reader(): FeatureReader {
    return new FeatureReader(this.redis, engine, this.keys);
  }

  async startRegistry(): Promise<void> {
    await this.registry.start();
  }

  /** Publishes a version of `propensity` (champion unless told otherwise). */
  publishModel(artifact: object | string, options: { champion?: boolean; featureDefinitionsVersion?: string; format?: string } = {}): Promise<ModelVersion> {
    return this.registry.publish(
      {
        model: 'propensity',
        artifact: new TextEncoder().encode(typeof artifact === 'string' ? artifact : JSON.stringify(artifact)),
        format: options.format ?? LINEAR_FORMAT,
        metrics: { roc_auc: 0.7 },
        featureDefinitionsVersion: options.featureDefinitionsVersion ?? engine.version,
        backend: 'cpu',
        holdoutFromMs: 0,
        holdoutToMs: 1,
      },
      { champion: options.champion ?? true, reason: 'test' },
    );
  }

  startPrediction(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    return startServiceProcess('prediction', {
      KAFKA_BROKERS: this.kafkaBrokers.join(','),
      REDIS_URL: this.redisUrl,
      KAFKA_TOPIC_PREFIX: this.topicPrefix,
      REDIS_KEY_PREFIX: this.redisKeyPrefix,
      PREDICTION_GROUP_ID: this.predictionGroup,
      ...extra,
    });
  }

  async createKey(scopes: Scope[]): Promise<string> {
    const created = await new ApiKeyStore(this.redis, new RedisKeys(this.redisKeyPrefix)).create({ name: `test-${scopes.join('-')}`, scopes });
    return created.key;
  }

  client(service: ServiceProcess): PredictionClient {
    const c = createClient(PredictionService, `127.0.0.1:${service.ports.grpc}`);
    this.clients.push(c);
    return c;
  }

  /** Events with a traceparent header each (the one ingestion would have forwarded). */
  async produceTraced(events: readonly Event[], traceparentOf: (e: Event) => string): Promise<void> {
    const producer = this.kafka.producer({ lingerMs: 2 });
    await producer.connect();
    try {
      const topic = this.kafka.topics.events;
      for (let i = 0; i < events.length; i += 2000) {
        await producer.send(topic, events.slice(i, i + 2000).map((e) => topic.record(e, { headers: { traceparent: traceparentOf(e) } })));
      }
    } finally {
      await producer.disconnect();
    }
  }

  override async dispose(): Promise<void> {
    for (const c of this.clients) c.close();
    await this.registry.stop().catch(() => undefined);
    await super.dispose();
  }
}

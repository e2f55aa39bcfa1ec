import { ApiKeyStore, type Scope } from '@clickwise/api-keys';
import { PredictionService, type Event } from '@clickwise/contracts';
import { FeatureReader, type FeatureSnapshot } from '@clickwise/feature-store';
import { createClient, type ServiceClient } from '@clickwise/grpc';
import { ModelRegistry, type ModelVersion } from '@clickwise/model-registry';
import { RedisKeys } from '@clickwise/redis';
import type { FeatureValue, FeatureVector } from '@clickwise/features';
import { DEFAULT_SEGMENT_FEATURES, SEGMENTS_ARTIFACT_FORMAT, SEGMENTS_MODEL, trainSegments, type SegmentModel } from '@clickwise/segments';
import { ARTIFACT_FORMAT as PROPENSITY_FORMAT, columnsOf, encodeArtifact, fitPreprocessing, rowOf, type DenseLayer, type PurchaseArtifact } from '@clickwise/training';
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

/** The FeatureReader's snapshot as the FeatureVector libs/training reads (features in plan order per entity). */
export function vectorOf(snapshot: FeatureSnapshot): FeatureVector {
  const byEntity: Record<'shopper' | 'session' | 'item' | 'category', FeatureValue[]> = { shopper: [], session: [], item: [], category: [] };
  for (const f of snapshot.features) byEntity[f.entity].push(f.value);
  return { eventId: '', shopperKey: '', sessionId: '', itemId: '', categoryId: '', refMs: snapshot.refMs ?? 0, snapshotVersion: snapshot.snapshotVersion, ...byEntity };
}

/**
 * A `clickwise.purchase-propensity.v1` artifact (libs/training's format): its columns, the
 * preprocessing fitted on the given live snapshots, and an MLP ensemble of 2 × [16, 8] ReLU with
 * seeded weights (not trained: the test is about serving the format).
 */
export function propensityMlpArtifact(snapshots: readonly FeatureSnapshot[], seed = 1): Uint8Array {
  const columns = columnsOf(engine, { price: true, category: true });
  const flat = new Float32Array(snapshots.length * columns.length);
  snapshots.forEach((s, i) => flat.set(rowOf(vectorOf(s), columns), i * columns.length));
  const preprocessing = fitPreprocessing(flat, columns.length);
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const layer = (nIn: number, nOut: number, activation: DenseLayer['activation']): DenseLayer => ({
    in: nIn, out: nOut, activation, weights: Array.from({ length: nIn * nOut }, () => (random() - 0.5) * 0.6), bias: Array.from({ length: nOut }, () => (random() - 0.5) * 0.2),
  });
  const w = preprocessing.width;
  const artifact: PurchaseArtifact = {
    format: PROPENSITY_FORMAT, model: 'mlp', featureDefinitionsVersion: engine.version, createdAt: new Date().toISOString(), columns, preprocessing,
    networks: [0, 1].map(() => [layer(w, 16, 'relu'), layer(16, 8, 'relu'), layer(8, 1, 'sigmoid')]), calibration: { kind: 'platt', a: 0.9, b: -0.1 }, info: { test: true },
  };
  return encodeArtifact(artifact);
}

/** Segments (libs/segments) trained on the given snapshots' DEFAULT_SEGMENT_FEATURES. */
export function segmentsOf(snapshots: readonly FeatureSnapshot[]): { artifact: Uint8Array; model: SegmentModel; record: (s: FeatureSnapshot) => Record<string, FeatureValue> } {
  const record = (s: FeatureSnapshot) => Object.fromEntries(DEFAULT_SEGMENT_FEATURES.map((f) => [f, s.features.find((x) => x.name === f)!.value]));
  const rows = snapshots.map((s) => DEFAULT_SEGMENT_FEATURES.map((f) => record(s)[f] ?? null));
  const trained = trainSegments({ features: DEFAULT_SEGMENT_FEATURES, rows, seed: 1, kMax: 4 });
  return { artifact: trained.artifact, model: trained.model, record };
}

export { PROPENSITY_FORMAT, SEGMENTS_ARTIFACT_FORMAT, SEGMENTS_MODEL };

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

  /** Publishes a version of `propensity` (or `model`; champion unless told otherwise). */
  publishModel(artifact: object | string | Uint8Array, options: { champion?: boolean; featureDefinitionsVersion?: string; format?: string; model?: string } = {}): Promise<ModelVersion> {
    return this.registry.publish(
      {
        model: options.model ?? 'propensity',
        artifact: artifact instanceof Uint8Array ? artifact : new TextEncoder().encode(typeof artifact === 'string' ? artifact : JSON.stringify(artifact)),
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

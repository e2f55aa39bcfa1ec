import { ApiKeyStore } from '@clickwise/api-keys';
import { PredictionService } from '@clickwise/contracts';
import { FeatureReader } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import { createClient } from '@clickwise/grpc';
import { KafkaPlatform } from '@clickwise/kafka';
import { ModelRegistry } from '@clickwise/model-registry';
import { createRedis, FeatureKeys, RedisKeys } from '@clickwise/redis';
import { SegmentModel } from '@clickwise/segments';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { info } from './command.js';
import { settings } from './settings.js';

const keyPrefix = () => process.env.REDIS_KEY_PREFIX || 'cw:';

/**
 * A key `up` uses (`backfill` for the replay, `read` for the example prediction, `catalog` for the
 * week's items): kept in
 * .clickwise/ (mode 600) and reused while the key store still accepts it, so repeated `up` runs
 * do not pile up keys.
 */
async function upKey(redisUrl: string, scope: 'backfill' | 'read' | 'catalog' | 'ops', use: string): Promise<string> {
  const file = join(settings.state, `up-${scope}.key`);
  const redis = createRedis(redisUrl, { connectionName: 'clickwise-up' });
  try {
    const store = new ApiKeyStore(redis, new RedisKeys(keyPrefix()));
    if (existsSync(file)) {
      const saved = readFileSync(file, 'utf8').trim();
      try {
        const record = await store.authenticate(saved);
        if (record.scopes.includes(scope)) return saved;
      } catch {
        // revoked or from a flushed Redis: make a new one
      }
    }
    const created = await store.create({ name: `clickwise up (${use})`, scopes: [scope] });
    writeFileSync(file, created.key, { mode: 0o600 });
    chmodSync(file, 0o600);
    info(`created ${scope} key ${created.record.id} for ${use} (saved in ${file})`);
    return created.key;
  } finally {
    await redis.quit();
  }
}

/** The ops key `up` prints with the status page's address (services/console). */
export function upOpsKey(redisUrl: string): Promise<string> {
  return upKey(redisUrl, 'ops', 'the status page');
}

/** The backfill key `up` replays with. */
export function upBackfillKey(redisUrl: string): Promise<string> {
  return upKey(redisUrl, 'backfill', 'the replay');
}

/** The read key `up` uses for its examples (the prediction, the recommendations); `recommend` and `similar` fall back to it. */
export function upReadKey(redisUrl: string): Promise<string> {
  return upKey(redisUrl, 'read', 'the example prediction');
}

/** The catalog key `up` publishes the replayed week's items with (also `catalog put`'s local default). */
export function upCatalogKey(redisUrl: string): Promise<string> {
  return upKey(redisUrl, 'catalog', 'catalogue updates');
}

/**
 * The busiest shopper's live prediction from the prediction service (gRPC Predict with a `read`
 * key), as lines for `up`'s output: probability, segment, model version and the top contributions.
 */
export async function shopperPrediction(redisUrl: string, grpcAddress: string, shopperKey: string): Promise<string[]> {
  const key = await upKey(redisUrl, 'read', 'the example prediction');
  const client = createClient(PredictionService, grpcAddress);
  try {
    const { prediction: p } = await client.predict({ shopperKey, topContributions: 5 }, { metadata: { 'x-api-key': key }, timeoutMs: 10_000 });
    if (!p) return [];
    return [
      `live prediction for ${shopperKey}: purchase probability ${p.purchaseProbability.toFixed(4)}, segment "${p.segment?.name ?? '-'}", ${p.model}/${p.modelVersion} (${p.explanationMethod})`,
      ...p.topContributions.map((c) => `    ${c.feature.padEnd(40)} ${String(Number(c.value.toFixed(4))).padStart(10)}  ${c.contribution >= 0 ? '+' : ''}${c.contribution.toFixed(3)} log-odds`),
    ];
  } finally {
    client.close();
  }
}

/** What `up` remembers of a replay that fully landed (.clickwise/up-replay.json). */
export interface LandedReplay {
  file: string;
  size: number;
  mtimeMs: number;
  /** Records on clickstream.events.v1 right after it. */
  topicMessages: number;
  landedAt: string;
}

const landedFile = () => join(settings.state, 'up-replay.json');

async function eventsOnKafka(kafkaBrokers: string): Promise<number> {
  const kafka = KafkaPlatform.create({ brokers: kafkaBrokers.split(','), clientId: 'clickwise-up', logLevel: 'NOTHING' });
  try {
    return await kafka.admin.recordCount(kafka.topics.events);
  } finally {
    await kafka.close();
  }
}

/**
 * The earlier replay of `file` when it fully landed and Kafka still holds it (same file, and the
 * events topic has at least as many records as right after it): sending it again would add
 * nothing within the dedupe window and would double the history after it.
 */
export async function landedReplay(kafkaBrokers: string, file: string): Promise<LandedReplay | undefined> {
  if (!existsSync(landedFile())) return undefined;
  try {
    const landed = JSON.parse(readFileSync(landedFile(), 'utf8')) as LandedReplay;
    const stat = statSync(file);
    if (landed.file !== resolve(file) || landed.size !== stat.size || landed.mtimeMs !== stat.mtimeMs) return undefined;
    return (await eventsOnKafka(kafkaBrokers)) >= landed.topicMessages ? landed : undefined;
  } catch {
    return undefined;
  }
}

/** Remembers that the replay of `file` fully landed (exit 0: nothing failed to be delivered). */
export async function recordLandedReplay(kafkaBrokers: string, file: string): Promise<void> {
  const stat = statSync(file);
  const landed: LandedReplay = {
    file: resolve(file),
    size: stat.size,
    mtimeMs: stat.mtimeMs,
    topicMessages: await eventsOnKafka(kafkaBrokers),
    landedAt: new Date().toISOString(),
  };
  writeFileSync(landedFile(), `${JSON.stringify(landed, null, 2)}\n`);
}

interface FeaturesStatus {
  positions: { partition: number; nextOffset: string | number }[];
}

/** Waits until the features service has applied every record of clickstream.events.v1. */
export async function waitForFeatures(kafkaBrokers: string, statusUrl: string, timeoutMs = 300_000): Promise<{ lag: number; waitedMs: number }> {
  const kafka = KafkaPlatform.create({ brokers: kafkaBrokers.split(','), clientId: 'clickwise-up', logLevel: 'NOTHING' });
  const started = Date.now();
  let lag = Number.POSITIVE_INFINITY;
  const ends = await kafka.admin.offsets(kafka.topics.events);
  let last = 0;
  while (Date.now() - started < timeoutMs) {
    const response = await fetch(statusUrl, { signal: AbortSignal.timeout(2000) }).catch(() => undefined);
    if (response?.ok) {
      const status = (await response.json()) as FeaturesStatus;
      const next = new Map(status.positions.map((p) => [p.partition, Number(p.nextOffset)]));
      lag = ends.reduce((sum, p) => sum + Math.max(0, Number(p.high) - (next.get(p.partition) ?? Number(p.low))), 0);
      if (lag === 0) break;
      if (Date.now() - last > 2000) {
        last = Date.now();
        info(`features: ${lag} events still to apply…`);
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { lag, waitedMs: Date.now() - started };
}

/** The busiest shopper of a RetailRocket export (most rows), to show their live features. */
export function busiestShopper(file: string): string | undefined {
  const counts = new Map<string, number>();
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = lines[0]?.split('\t') ?? [];
  const user = header.indexOf('UserId');
  if (user < 0) return undefined;
  for (let i = 1; i < lines.length; i++) {
    const id = lines[i]?.split('\t')[user];
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  let best: [string, number] | undefined;
  for (const entry of counts) if (!best || entry[1] > best[1]) best = entry;
  return best?.[0];
}

/** A shopper's live features from Redis, as prediction will read them. */
export async function shopperFeatures(redisUrl: string, shopperKey: string) {
  const redis = createRedis(redisUrl, { connectionName: 'clickwise-up' });
  try {
    const engine = new FeatureEngine();
    const reader = new FeatureReader(redis, engine, new FeatureKeys(engine.version, keyPrefix()));
    return await reader.read({ shopperKey });
  } finally {
    await redis.quit();
  }
}

/** What `up` shows of the trainer (a part of its GET /status). */
export interface TrainerSummary {
  jobs: string[];
  champions: Record<string, string | null>;
  running: { runId: string; trigger: string; events: number; job: string | null; progress: Record<string, { stage: string; done: number; total: number }> } | null;
  lastRun: { runId: string; trigger: string; outcome: string; events: number; endedAt: string } | null;
  triggers: { checkMs: number };
}

/**
 * The trainer's state once the replay landed, read from its GET /status (it trains by itself: a
 * job without a model trains once the replayed events stop arriving, ADR 0060). `up` reports it
 * and waits for nothing yet; waiting for the replayed week's champion belongs here.
 */
export async function trainerSummary(statusUrl: string): Promise<TrainerSummary | undefined> {
  const response = await fetch(statusUrl, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  return response?.ok ? ((await response.json()) as TrainerSummary) : undefined;
}

/** One line for `up`'s output about the trainer. */
export function describeTrainer(trainer: TrainerSummary): string {
  if (trainer.jobs.length === 0) return 'trainer: running, no training jobs in this build';
  if (trainer.running) return `trainer: training (${trainer.jobs.join(', ')}; run ${trainer.running.runId}, ${trainer.running.trigger}, ${trainer.running.events} events)`;
  if (trainer.lastRun) return `trainer: last run ${trainer.lastRun.runId} ${trainer.lastRun.outcome} (${trainer.lastRun.trigger}, ${trainer.lastRun.events} events, ended ${trainer.lastRun.endedAt})`;
  return `trainer: ${trainer.jobs.join(', ')}; no run yet (checks every ${trainer.triggers.checkMs / 1000} s)`;
}

/**
 * Waits until the trainer has a champion for each of its jobs (it trains by itself once the
 * replayed events stop arriving: ADR 0060), or its last run after `sinceMs` failed, or the time is
 * up; says what it waits for every 15 s.
 */
export async function waitForChampions(statusUrl: string, options: { timeoutMs?: number; sinceMs?: number } = {}): Promise<TrainerSummary | undefined> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const sinceMs = options.sinceMs ?? Date.now();
  let told = 0;
  let last: TrainerSummary | undefined;
  while (Date.now() < deadline) {
    last = (await trainerSummary(statusUrl)) ?? last;
    if (last) {
      if (last.jobs.length === 0 || last.jobs.every((job) => last!.champions[job])) return last;
      const ended = last.lastRun && Date.parse(last.lastRun.endedAt) >= sinceMs;
      if (!last.running && ended && last.lastRun!.outcome !== 'ok') return last;
      if (Date.now() - told >= 15_000) {
        told = Date.now();
        const job = last.running?.job;
        const p = job ? last.running?.progress[job] : undefined;
        info(last.running ? `trainer: training${job ? ` ${job}` : ''}${p ? ` (${p.stage} ${p.done}/${p.total})` : ''}…` : 'trainer: waiting for the replayed events to settle before it trains…');
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

/** Lines for `up`'s output: each champion the trainer published, with its hold-out figures. */
export async function describeChampions(kafkaBrokers: string): Promise<string[]> {
  const kafka = KafkaPlatform.create({ brokers: kafkaBrokers.split(','), clientId: 'clickwise-up-models', logLevel: 'NOTHING' });
  const registry = new ModelRegistry(kafka, { groupPrefix: 'clickwise-up' });
  try {
    await registry.start();
    const lines: string[] = [];
    const propensity = registry.champion('propensity');
    if (propensity) {
      const m = propensity.metrics;
      const ci = (name: string) => `${m[name]!.toFixed(3)} [${m[`${name}_low`]!.toFixed(3)}, ${m[`${name}_high`]!.toFixed(3)}]`;
      lines.push(`model propensity/${propensity.version} (champion, ${propensity.backend}): hold-out ROC-AUC ${ci('roc_auc')}, PR-AUC ${ci('pr_auc')}, ECE ${ci('ece')} over ${m.examples} clicks`);
    }
    const segments = registry.champion('segments');
    if (segments) {
      const model = new SegmentModel(await registry.readArtifact(segments));
      lines.push(`model segments/${segments.version} (champion): ${model.segments.map((g) => `${g.name} ${(g.share * 100).toFixed(0)}%`).join(' · ')}`);
    }
    return lines;
  } finally {
    await registry.stop();
    await kafka.close();
  }
}

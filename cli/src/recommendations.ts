import { RecommendationReasonKind, RecommenderService, type Recommendation } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import { KafkaPlatform } from '@clickwise/kafka';
import { info } from './command.js';

/** The proto's reason kind as a word ("co_viewed"). */
export function reasonName(kind: RecommendationReasonKind): string {
  return (RecommendationReasonKind[kind] ?? String(kind)).toLowerCase();
}

/** A Recommendation as lines: a header (id, model version, shopper/session or item), then one line per item with its reasons. */
export function describeRecommendation(r: Recommendation, title: string): string[] {
  const lines = [`${title}: ${r.items.length} item${r.items.length === 1 ? '' : 's'}, recommendation id ${r.recommendationId}, model version ${r.modelVersion}`];
  r.items.forEach((item, i) => {
    const reasons = (item.reasons.length > 0 ? item.reasons : item.reason ? [item.reason] : []).map((x) => `${x.text || reasonName(x.kind)} (${reasonName(x.kind)})`);
    lines.push(`  ${String(i + 1).padStart(2)}. ${item.itemId.padEnd(14)} score ${item.score.toFixed(4)}  ${reasons.join('; ') || '-'}`);
  });
  return lines;
}

/** The plain-JSON form of a Recommendation (`--json`): bigints as numbers, enums as words. */
export function recommendationJson(r: Recommendation): Record<string, unknown> {
  return {
    recommendationId: r.recommendationId,
    shopperKey: r.shopperKey,
    sessionId: r.sessionId,
    modelVersion: r.modelVersion,
    createdAtMs: Number(r.createdAtMs),
    items: r.items.map((item) => ({
      itemId: item.itemId,
      score: item.score,
      reasons: item.reasons.map((x) => ({ kind: reasonName(x.kind), text: x.text, anchorItemId: x.anchorItemId, categoryId: x.categoryId })),
    })),
  };
}

export type RecommenderClient = ReturnType<typeof recommenderClient>;

export function recommenderClient(address: string) {
  return createClient(RecommenderService, address);
}

/** The recommender's gRPC address on the local platform (RECOMMENDER_GRPC_PORT moves it). */
export function recommenderAddress(): string {
  return `127.0.0.1:${process.env.RECOMMENDER_GRPC_PORT || '50054'}`;
}

/** The busiest shopper's recommendations from the running recommender, as lines for `up`. */
export async function shopperRecommendations(address: string, key: string, shopperKey: string): Promise<string[]> {
  const client = recommenderClient(address);
  try {
    const { recommendation } = await client.recommend({ shopperKey, k: 5 }, { metadata: { 'x-api-key': key }, timeoutMs: 10_000 });
    return recommendation ? describeRecommendation(recommendation, `recommendations for ${shopperKey}`) : [];
  } finally {
    client.close();
  }
}

/** Waits until the recommender's group has indexed every record of clickstream.events.v1 (its committed offsets reach the end). */
export async function waitForRecommender(kafkaBrokers: string, timeoutMs = 300_000): Promise<{ lag: number; waitedMs: number }> {
  const kafka = KafkaPlatform.create({ brokers: kafkaBrokers.split(','), clientId: 'clickwise-up', logLevel: 'NOTHING' });
  const group = process.env.RECOMMENDER_GROUP_ID || 'recommender';
  const started = Date.now();
  let lag = Number.POSITIVE_INFINITY;
  let last = 0;
  try {
    while (Date.now() - started < timeoutMs) {
      lag = Number((await kafka.admin.groupLag(group, kafka.topics.events)).total);
      if (lag === 0) break;
      if (Date.now() - last > 2000) {
        last = Date.now();
        info(`recommender: ${lag} events still to index…`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await kafka.close();
  }
  return { lag, waitedMs: Date.now() - started };
}

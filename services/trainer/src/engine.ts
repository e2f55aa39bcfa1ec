import { FeatureEngine } from '@clickwise/features';
import type { ModelRegistry } from '@clickwise/model-registry';
import { SENTIMENT_MODEL, SentimentModel } from '@clickwise/text';

/**
 * The feature engine serving uses now: the definitions with the sentiment champion, if any (its
 * version is part of the definitions version, ADR 0058), so models train on the numbers the
 * features service computes.
 */
export async function servingEngine(registry: ModelRegistry): Promise<FeatureEngine> {
  const champion = registry.champion(SENTIMENT_MODEL);
  if (!champion) return new FeatureEngine();
  return new FeatureEngine(undefined, { sentiment: new SentimentModel(await registry.readArtifact(champion)) });
}

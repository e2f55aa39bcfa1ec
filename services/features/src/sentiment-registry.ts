import type { ModelRegistry } from '@clickwise/model-registry';
import { SENTIMENT_MODEL } from '@clickwise/text';
import type { SentimentChampion, SentimentChampions } from './sentiment.js';

/**
 * The sentiment model champion from the model registry (ADR 0056, 0057): `start` catches up with
 * models.published.v1 and reads the champion's artifact (verified by SHA-256); `watch` follows
 * `<model>/champion` (watchChampion: one call at a time, in order).
 */
export class RegistrySentimentChampions implements SentimentChampions {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly model: string = SENTIMENT_MODEL,
  ) {}

  async start(): Promise<SentimentChampion | undefined> {
    await this.registry.start();
    const champion = this.registry.champion(this.model);
    if (!champion) return undefined;
    return { version: champion.version, artifact: await this.registry.readArtifact(champion) };
  }

  watch(onChampion: (champion: SentimentChampion) => Promise<void>): () => void {
    return this.registry.watchChampion(this.model, async (champion) => {
      await onChampion({ version: champion.version, artifact: await this.registry.readArtifact(champion) });
    });
  }

  stop(): Promise<void> {
    return this.registry.stop();
  }
}

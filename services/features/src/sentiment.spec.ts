import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventType } from '@clickwise/contracts';
import type { CommitResult, OpenedPartition, PreparedBatch, StoredPosition } from '@clickwise/feature-store';
import { OfflineExecutor, type FeatureEngine, type FeatureEvent } from '@clickwise/features';
import { encodeSentimentArtifact, SENTIMENT_FORMAT, SentimentModel } from '@clickwise/text';
import { FeatureState } from './features.service.js';
import { SentimentFollower, SwitchableFeatureState, type SentimentChampion, type SentimentChampions } from './sentiment.js';

/** A tiny hand-made artifact: "great" positive, "broke" negative. */
function artifact(weight: number): Uint8Array {
  return encodeSentimentArtifact({
    format: SENTIMENT_FORMAT,
    tokenizer: { bigrams: false },
    vocabulary: ['great', 'broke'],
    idf: [1, 1],
    weights: [weight, -weight],
    bias: 0,
    trainedOn: {},
  });
}

/** A feature state that only remembers the engine it was made for. */
class EngineState extends FeatureState {
  closed = 0;
  constructor(readonly engine: FeatureEngine) {
    super();
  }
  get definitionsVersion(): string {
    return this.engine.version;
  }
  open(): Promise<OpenedPartition> {
    return Promise.resolve({ offset: null, clockMs: -Infinity, outbox: null });
  }
  isOpen(): boolean {
    return false;
  }
  storedOffset(): undefined {
    return undefined;
  }
  close(): void {}
  closeAll(): void {
    this.closed++;
  }
  prepare(): Promise<PreparedBatch> {
    return Promise.reject(new Error('not in this test'));
  }
  commit(): Promise<CommitResult> {
    return Promise.reject(new Error('not in this test'));
  }
  clearOutbox(): Promise<boolean> {
    return Promise.resolve(false);
  }
  erase(): Promise<number> {
    return Promise.resolve(0);
  }
  ensureMeta(): Promise<boolean> {
    return Promise.resolve(true);
  }
  metaExists(): Promise<boolean> {
    return Promise.resolve(true);
  }
  positions(): Promise<Map<number, StoredPosition>> {
    return Promise.resolve(new Map<number, StoredPosition>());
  }
}

/** Champions the test hands out. */
class FakeChampions implements SentimentChampions {
  onChampion: ((c: SentimentChampion) => Promise<void>) | undefined;
  constructor(private readonly initial: SentimentChampion | undefined) {}
  start(): Promise<SentimentChampion | undefined> {
    return Promise.resolve(this.initial);
  }
  watch(onChampion: (c: SentimentChampion) => Promise<void>): () => void {
    this.onChampion = onChampion;
    return () => (this.onChampion = undefined);
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

function review(text: string, at: number): FeatureEvent {
  return {
    eventId: `r${at}`, type: EventType.REVIEW, shopperKey: 'u', sessionId: 's', itemId: 'i1', itemIds: [], categoryId: '',
    price: undefined, quantity: undefined, searchQuery: '', reviewRating: 3, reviewText: text, timeMs: 1_700_000_000_000 + at,
  };
}

function setup(initial: SentimentChampion | undefined) {
  const made: EngineState[] = [];
  const state = new SwitchableFeatureState((engine) => {
    const s = new EngineState(engine);
    made.push(s);
    return s;
  });
  const journal: string[] = [];
  const consumers = {
    running: false,
    start: () => {
      journal.push('start');
      consumers.running = true;
      return Promise.resolve();
    },
    stop: () => {
      journal.push('stop');
      consumers.running = false;
      return Promise.resolve();
    },
  };
  const champions = new FakeChampions(initial);
  const reports: string[] = [];
  const follower = new SentimentFollower(champions, state, consumers, (message) => reports.push(message));
  return { state, made, journal, consumers, champions, follower, reports };
}

void describe('SentimentFollower and SwitchableFeatureState', () => {
  void it('starts with no model (sentiment absent), then switches engines around a consumer restart when a champion comes', async () => {
    const t = setup(undefined);
    await t.follower.start();
    await t.consumers.start();
    const before = t.state.definitionsVersion;
    assert.equal(t.state.engine.sentimentModelVersion, null);
    assert.equal(new OfflineExecutor(t.state.engine).apply(review('great', 0)).status, 'applied');

    await t.champions.onChampion!({ version: 'v1', artifact: artifact(3) });
    assert.deepEqual(t.journal, ['start', 'stop', 'start']);
    assert.notEqual(t.state.definitionsVersion, before, 'a new definitions version: a new state namespace');
    assert.equal(t.made.length, 2);
    assert.equal(t.made[0]!.closed, 1, 'the old executor forgot its partitions');
    const model = new SentimentModel(artifact(3));
    assert.equal(t.state.engine.sentimentModelVersion, model.version);
    assert.deepEqual(t.follower.status(), { registryVersion: 'v1', modelVersion: model.version, definitionsVersion: t.state.definitionsVersion });

    // The engine in use scores review texts with the champion, through the definitions.
    const offline = new OfflineExecutor(t.state.engine);
    offline.apply(review('great great', 0));
    offline.apply(review('it broke', 1000));
    const item = offline.values('item', 'i1', 1_700_000_002_000);
    assert.ok(Math.abs((item.item_review_sentiment_mean_7d as number) - (model.score('great great') + model.score('it broke')) / 2) < 1e-12);
    assert.equal(item.item_scored_reviews_30d, 2);
  });

  void it('loads the champion at start before the consumers run (the state is built once)', async () => {
    const t = setup({ version: 'v1', artifact: artifact(2) });
    await t.follower.start();
    assert.equal(t.state.engine.sentimentModelVersion, new SentimentModel(artifact(2)).version);
    assert.deepEqual(t.journal, []);
    // The watcher repeating the champion in use changes nothing.
    await t.consumers.start();
    await t.champions.onChampion!({ version: 'v1', artifact: artifact(2) });
    assert.deepEqual(t.journal, ['start']);
    assert.equal(t.made.length, 2);
  });

  void it('refuses an artifact that does not decode and keeps the model in use', async () => {
    const t = setup({ version: 'v1', artifact: artifact(2) });
    await t.follower.start();
    const version = t.state.definitionsVersion;
    await t.champions.onChampion!({ version: 'v2', artifact: new TextEncoder().encode('{"format":"other"}') });
    assert.equal(t.state.definitionsVersion, version);
    assert.match(t.follower.status().refused!.reason, /format other/);
    assert.ok(t.reports.some((r) => r.includes('refused')));
  });
});

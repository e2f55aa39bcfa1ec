import { PredictionService, RecommenderService, type HttpEvent } from '@clickwise/contracts';
import { createClient } from '@clickwise/grpc';
import { Simulator } from '@clickwise/simulator';
import { testInfra, waitFor } from '@clickwise/testing';
import { postEvents, startIngestion, type IngestionProcess } from '../ingestion/harness.js';
import { PredictionScope, propensityDocument } from '../prediction/harness.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

/** What the console's JSON and SSE carry (services/console/src/console.board.ts), as much as the tests read. */
export interface Tick {
  atMs: number;
  rates: Record<'events' | 'features' | 'predictions' | 'recommendations' | 'dlq', number | null>;
  lag: Record<string, number | null>;
  latency: Record<string, { p50: number | null; p99: number | null; count: number }>;
  versions: { predictions: Record<string, number>; recommendations: Record<string, number> };
}

export interface BoardState {
  kafka: { up: boolean };
  topicRecords: Record<string, number>;
  lag: { group: string; topic: string; total: number | null; partitions: { partition: number; lag: number }[] }[];
  latencies: { id: string; p50: number | null; p99: number | null; count: number; by: Record<string, { p50: number | null; count: number }> }[];
  deadLetters: { total: number; reasons: { stage: string; reasonCode: string; count: number; lastReason: string }[] };
  models: { model: string; champion: string | null; versions: { version: string; champion: boolean; metrics: Record<string, number>; live: { seen: number } | null }[] }[];
  predictions: { total: number; newest: { shopperKey: string; modelVersion: string; probability: number }[] };
  recommendations: { available: boolean; note?: string; total?: number; rows?: { recommendationId: string; shopperKey: string; modelVersion: string; items: { itemId: string }[] }[] };
  targets: { name: string; up: boolean; lastUpMs: number }[];
}

/**
 * The real platform on a test's own topics and keys: ingestion, features and prediction (a
 * `clickwise-linear/1` champion published to the registry first), then the console scraping them
 * and reading the same topics, all as their own processes.
 */
export class ConsolePlatform {
  readonly scope: PredictionScope;
  ingestion!: IngestionProcess;
  features: ServiceProcess | undefined;
  prediction!: ServiceProcess;
  recommender: ServiceProcess | undefined;
  console!: ServiceProcess;
  keys!: { ingest: string; ops: string; read: string };
  championVersion = '';
  private readonly started: ServiceProcess[] = [];

  constructor(name: string) {
    const infra = testInfra();
    this.scope = new PredictionScope(name, infra.kafkaBrokers, infra.redisUrl);
  }

  get base(): Record<string, string> {
    return { KAFKA_BROKERS: this.scope.kafkaBrokers.join(','), REDIS_URL: this.scope.redisUrl, KAFKA_TOPIC_PREFIX: this.scope.topicPrefix, REDIS_KEY_PREFIX: this.scope.redisKeyPrefix };
  }

  /** The group ids the console is told to watch: features on the events, prediction on the notices. */
  get groups(): { features: string; prediction: string } {
    return { features: this.scope.groupId, prediction: this.scope.predictionGroup };
  }

  /** `recommender`: also run the recommender (the console scrapes it and follows what it serves). */
  async start(consoleEnv: Record<string, string> = {}, options: { recommender?: boolean } = {}): Promise<void> {
    await this.scope.createTopics();
    await this.scope.startRegistry();
    this.championVersion = (await this.scope.publishModel(propensityDocument())).version;
    this.keys = { ingest: await this.scope.createKey(['ingest']), ops: await this.scope.createKey(['ops']), read: await this.scope.createKey(['read']) };
    this.ingestion = await startIngestion({ kafkaBrokers: this.scope.kafkaBrokers, redisUrl: this.scope.redisUrl, topicPrefix: this.scope.topicPrefix, redisKeyPrefix: this.scope.redisKeyPrefix });
    this.started.push(this.ingestion);
    await this.startFeatures();
    this.prediction = await this.scope.startPrediction();
    this.started.push(this.prediction);
    if (options.recommender) {
      this.recommender = await startServiceProcess('recommender', { ...this.base, RECOMMENDER_GROUP_ID: `${this.scope.groupId}-recommender` });
      this.started.push(this.recommender);
    }
    const recommenderTarget = this.recommender ? `,recommender=${this.recommender.url}/metrics` : '';
    this.console = await startServiceProcess('console', {
      ...this.base,
      CONSOLE_SCRAPE_TARGETS: `ingestion=${this.ingestion.url}/metrics,features=${this.features!.url}/metrics,prediction=${this.prediction.url}/metrics${recommenderTarget}`,
      CONSOLE_LAG_GROUPS: `${this.groups.features}@clickstream.events.v1,${this.groups.prediction}@features.updated.v1`,
      CONSOLE_POLL_MS: '500',
      CONSOLE_SCRAPE_MS: '500',
      CONSOLE_RATE_WINDOW_MS: '2000',
      CONSOLE_LATENCY_WINDOW_MS: '20000',
      ...consoleEnv,
    });
    this.started.push(this.console);
  }

  /** (Re)starts features on a fixed port, so the console's scrape target stays valid across a restart. */
  async startFeatures(): Promise<void> {
    const port = this.features?.ports.http;
    this.features = await startServiceProcess('features', { ...this.base, FEATURES_GROUP_ID: this.scope.groupId }, port ? { ports: { http: port } } : {});
    this.started.push(this.features);
  }

  async stopFeatures(): Promise<void> {
    await this.features?.stop();
  }

  /** Storefront events whose event time is now-ish (an `ingest` key takes 24 h back to 5 min ahead). */
  events(seed: number, count: number): HttpEvent[] {
    return new Simulator({ seed, startTime: Date.now() - 120_000, rate: 100, shoppers: 120, items: 200 }).take(count);
  }

  /** Sends `events` to ingestion's HTTP API in batches, `pauseMs` apart (a replay spread over time); returns how many were accepted. */
  async replay(events: readonly HttpEvent[], options: { batch?: number; pauseMs?: number } = {}): Promise<number> {
    const batch = options.batch ?? 100;
    let accepted = 0;
    for (let i = 0; i < events.length; i += batch) {
      const answer = await postEvents(this.ingestion.httpUrl, { events: events.slice(i, i + batch) }, { key: this.keys.ingest });
      if (answer.status !== 200 && answer.status !== 400) throw new Error(`ingestion answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      accepted += Number(answer.body.accepted ?? 0);
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
    return accepted;
  }

  /** A few gRPC Predict calls (for the gRPC latency chart); answers of unknown shoppers count too. */
  async predict(shopperKeys: readonly string[]): Promise<void> {
    const client = createClient(PredictionService, `127.0.0.1:${this.prediction.ports.grpc}`);
    try {
      for (const shopperKey of shopperKeys) await client.predict({ shopperKey }, { metadata: { 'x-api-key': this.keys.read }, timeoutMs: 10_000 }).catch(() => undefined);
    } finally {
      client.close();
    }
  }

  /** Recommend calls to the recommender (started with `recommender`): each served list is published for the console's feed. */
  async recommend(shopperKeys: readonly string[]): Promise<number> {
    if (!this.recommender) throw new Error('the platform was started without the recommender');
    const client = createClient(RecommenderService, `127.0.0.1:${this.recommender.ports.grpc}`);
    let answered = 0;
    try {
      for (const shopperKey of shopperKeys) {
        const answer = await client.recommend({ shopperKey, k: 5 }, { metadata: { 'x-api-key': this.keys.read }, timeoutMs: 10_000 }).catch(() => undefined);
        if (answer?.recommendation) answered++;
      }
    } finally {
      client.close();
    }
    return answered;
  }

  /** The console's JSON (GET /api/status) with the ops key. */
  async status(): Promise<{ ticks: Tick[]; state: BoardState }> {
    const response = await fetch(`${this.console.url}/api/status`, { headers: { 'x-api-key': this.keys.ops } });
    if (response.status !== 200) throw new Error(`GET /api/status: ${response.status} ${await response.text()}`);
    return (await response.json()) as { ticks: Tick[]; state: BoardState };
  }

  async stop(): Promise<void> {
    for (const s of [...this.started].reverse()) await s.stop().catch(() => undefined);
    await this.scope.dispose();
  }
}

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads a server-sent event stream into `events` until `close`. */
export function readSse(url: string, headers: Record<string, string>): { events: SseEvent[]; status: Promise<number>; close: () => void; ended: Promise<void> } {
  const events: SseEvent[] = [];
  const abort = new AbortController();
  let resolveStatus!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = (async () => {
    try {
      const response = await fetch(url, { headers, signal: abort.signal });
      resolveStatus(response.status);
      if (!response.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return { events, status, close: () => abort.abort(), ended };
}

export { waitFor };

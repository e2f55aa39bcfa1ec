import { histogramsBy, increase, quantile, total, type Buckets, type Sample } from './prometheus-text.js';

/** A latency histogram on one scrape target's /metrics, shown as p50/p99 over the window. */
export interface LatencySpec {
  id: string;
  label: string;
  /** The scrape target (CONSOLE_SCRAPE_TARGETS name) that exposes it. */
  target: string;
  metric: string;
  /** Also one row per value of this label (e.g. gRPC `method`). */
  by?: string;
}

/** The platform's latencies (issue 12: ingest accept, ingest → notice, notice → prediction, gRPC). */
export const LATENCIES: readonly LatencySpec[] = [
  { id: 'ingest', label: 'ingest accept (request → Kafka ack)', target: 'ingestion', metric: 'clickwise_ingest_request_duration_seconds', by: 'route' },
  { id: 'features', label: 'features: ingest → notice', target: 'features', metric: 'clickwise_features_ingest_to_notice_seconds' },
  { id: 'prediction', label: 'prediction: notice → prediction', target: 'prediction', metric: 'clickwise_prediction_notice_to_prediction_seconds' },
  { id: 'click', label: 'click → prediction (accepted by ingestion → prediction written)', target: 'prediction', metric: 'clickwise_prediction_click_to_prediction_seconds' },
  { id: 'grpc', label: 'prediction gRPC', target: 'prediction', metric: 'clickwise_grpc_server_duration_seconds', by: 'method' },
  { id: 'recommender-grpc', label: 'recommender gRPC', target: 'recommender', metric: 'clickwise_grpc_server_duration_seconds', by: 'method' },
];

/** Percentiles of what was observed in the window (seconds), and how many observations that was. */
export interface Percentiles {
  p50: number | null;
  p99: number | null;
  /** Observations in the window. */
  count: number;
}

export interface LatencyFigures extends Percentiles {
  id: string;
  /** One row per value of the spec's `by` label. */
  by: Record<string, Percentiles>;
}

interface Reading {
  atMs: number;
  all: Buckets | undefined;
  by: Map<string, Buckets>;
}

const NONE: Percentiles = { p50: null, p99: null, count: 0 };

function percentiles(now: Buckets | undefined, before: Buckets | undefined): Percentiles {
  if (!now) return NONE;
  const window = increase(now, before);
  const count = total(window);
  if (count <= 0) return NONE;
  return { p50: quantile(0.5, window) ?? null, p99: quantile(0.99, window) ?? null, count };
}

/**
 * The scraped readings of one latency histogram: the percentiles are those of the buckets'
 * increase between the newest reading and the one at the start of the window, as
 * histogram_quantile(q, increase(…[window])) gives them. A target that went away keeps its last
 * figures until its readings leave the window.
 */
export class LatencyTracker {
  private readonly readings: Reading[] = [];

  constructor(
    readonly spec: LatencySpec,
    private readonly windowMs: number,
  ) {}

  add(atMs: number, samples: readonly Sample[]): void {
    const by = this.spec.by ? histogramsBy(samples, this.spec.metric, this.spec.by) : new Map<string, Buckets>();
    const all = histogramsBy(samples, this.spec.metric, undefined).get('');
    this.readings.push({ atMs, all, by });
    // Keep one reading at or before the window's start (the base), drop older ones.
    while (this.readings.length > 2 && this.readings[1]!.atMs <= atMs - this.windowMs) this.readings.shift();
  }

  figures(): LatencyFigures {
    const last = this.readings.at(-1);
    const base = this.readings.length > 1 ? this.readings[0] : undefined;
    if (!last || !base) return { id: this.spec.id, ...NONE, by: {} };
    const by: Record<string, Percentiles> = {};
    for (const [key, buckets] of last.by) by[key] = percentiles(buckets, base.by.get(key) ?? zero(buckets));
    return { id: this.spec.id, ...percentiles(last.all, base.all ?? (last.all && zero(last.all))), by };
  }
}

/** The same bounds with no observations: a histogram that first appeared inside the window counts whole. */
function zero(buckets: Buckets): Buckets {
  return { bounds: buckets.bounds, counts: buckets.counts.map(() => 0) };
}

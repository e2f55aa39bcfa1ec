import type { PredictionUpdate } from '@clickwise/contracts';
import { injectTrace, traceparentOf, type RecordHeaders } from '@clickwise/kafka';
import { contextOf, Histogram, LATENCY_BUCKETS, spanContextOf, SpanKind, SpanStatusCode, trace, type Link, type Registry, type Span, type Tracer } from '@clickwise/telemetry';
import type { CoalescedClicks } from './coalesce.js';

/** Click → prediction latency buckets (s): the per-click path is ~10-50 ms when idle, seconds behind a backlog. */
const CLICK_BUCKETS = [...LATENCY_BUCKETS.filter((b) => b >= 0.005), 30, 60];

/** The spans of one produce of predictions, ended once Kafka acknowledged it (or it failed). */
export interface ScoringSpans {
  /** Record headers per update: the W3C context of its prediction span (empty without tracing). */
  headers: Record<string, string>[];
  /** Kafka acknowledged the predictions: spans end, the click → prediction latencies are observed. */
  written(nowMs?: number): void;
  failed(error: unknown): void;
}

/**
 * One trace per click through prediction (issue 12, ADR 0123). Every click's features notice
 * carries the features span's W3C context; a prediction's span ("prediction score", CONSUMER) is a
 * child of its newest click's context and has a span link to every click it covers. Each other
 * covered click gets a "prediction coalesced" span in its own trace, linked to the prediction span,
 * so every click's trace goes on into prediction. The record written to predictions.updated.v1
 * carries the prediction span's context in its headers, and the watch reader makes a
 * "WatchPredictions send" span under it when it hands the prediction to open streams.
 *
 * It also keeps the click → prediction latency (acceptance by ingestion to the prediction
 * acknowledged by Kafka), with or without a tracer.
 */
export class ClickTracing {
  readonly clickToPrediction: Histogram;

  /** `tracer` undefined: no spans (no OTLP endpoint), only the latency histogram. */
  constructor(
    private readonly tracer: Tracer | undefined,
    registry: Registry,
    private readonly sourceTopic: string,
  ) {
    this.clickToPrediction = new Histogram({
      name: 'clickwise_prediction_click_to_prediction_seconds',
      help: 'From ingestion accepting a click (its clickstream record time) to the prediction covering it acknowledged on predictions.updated.v1, per covered click',
      buckets: CLICK_BUCKETS,
      registers: [registry],
    });
  }

  /** Spans for the predictions about to be written; `groups[i]` is what `updates[i]` covers. */
  scoring(groups: readonly CoalescedClicks[], updates: readonly PredictionUpdate[], startedMs: number): ScoringSpans {
    const spans: Span[] = [];
    const headers = groups.map((clicks, i) => (this.tracer ? this.spansFor(this.tracer, clicks, updates[i]!, startedMs, spans) : {}));
    return {
      headers,
      written: (nowMs = Date.now()) => {
        for (const s of spans) s.end();
        for (const clicks of groups) for (const at of clicks.acceptedAtMs) if (at > 0) this.clickToPrediction.observe(Math.max(0, nowMs - at) / 1000);
      },
      failed: (error) => {
        for (const s of spans) {
          s.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          s.end();
        }
      },
    };
  }

  private spansFor(tracer: Tracer, clicks: CoalescedClicks, update: PredictionUpdate, startedMs: number, spans: Span[]): Record<string, string> {
    const covered = clicks.traceparents.flatMap((traceparent, i) => {
      const context = spanContextOf(traceparent);
      return context ? [{ context, traceparent, eventId: clicks.eventIds[i] ?? '' }] : [];
    });
    const newest = covered.at(-1);
    if (!newest) return {};
    const links: Link[] = covered.map((c) => ({ context: c.context, attributes: { 'clickwise.event_id': c.eventId } }));
    const messaging = { 'messaging.system': 'kafka', 'messaging.destination.name': this.sourceTopic, 'messaging.operation.type': 'process' };
    const score = tracer.startSpan(
      'prediction score',
      {
        kind: SpanKind.CONSUMER,
        startTime: startedMs,
        links,
        attributes: {
          ...messaging,
          'messaging.batch.message_count': clicks.eventIds.length,
          'clickwise.event_id': newest.eventId,
          'clickwise.event_ids': clicks.eventIds,
          'clickwise.shopper_key': clicks.shopperKey,
          'clickwise.model_version': update.modelVersion,
          'clickwise.purchase_probability': update.purchaseProbability,
        },
      },
      contextOf(newest.traceparent),
    );
    spans.push(score);
    for (const c of covered.slice(0, -1)) {
      spans.push(
        tracer.startSpan(
          'prediction coalesced',
          { kind: SpanKind.CONSUMER, startTime: startedMs, links: [{ context: score.spanContext(), attributes: { 'clickwise.event_id': newest.eventId } }], attributes: { ...messaging, 'clickwise.event_id': c.eventId } },
          contextOf(c.traceparent),
        ),
      );
    }
    return injectTrace({}, trace.setSpan(contextOf(''), score));
  }

  /**
   * The watch reader handing one prediction to this replica's streams: with a tracer and at least
   * one stream sent to, a "WatchPredictions send" span under the prediction's span (its record headers).
   */
  fanOut(headers: RecordHeaders | undefined, update: PredictionUpdate, publish: () => number): void {
    const startedMs = Date.now();
    const sent = publish();
    if (!this.tracer || sent === 0) return;
    const traceparent = traceparentOf(headers);
    if (!spanContextOf(traceparent)) return;
    this.tracer
      .startSpan(
        'WatchPredictions send',
        { kind: SpanKind.CONSUMER, startTime: startedMs, attributes: { 'rpc.system': 'grpc', 'rpc.method': 'WatchPredictions', 'clickwise.streams': sent, 'clickwise.event_ids': update.eventIds } },
        contextOf(traceparent),
      )
      .end();
  }
}

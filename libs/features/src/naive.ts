import type { FeatureDefinition, TypeWeights } from './definitions.js';
import { keysOf, measureOf, type FeatureValue } from './engine.js';
import type { FeatureEvent } from './event.js';
import { inWindow } from './windows.js';

/**
 * The reference: a feature computed straight from the raw events of its entity, with no state,
 * no buckets and no merging (as Chronon's NaiveAggregator checks its SawtoothAggregator). Tests
 * compare the engine against it on random streams.
 */
export function naiveValue(def: FeatureDefinition, events: readonly FeatureEvent[], refMs: number): FeatureValue {
  const a = def.aggregation;
  const inside = events.filter((e) => def.filter.types.includes(e.type) && inWindow(e.timeMs, refMs, def.window));
  const values = (measure: Parameters<typeof measureOf>[0]) =>
    inside.map((e) => measureOf(measure, e)).filter((x): x is number => x !== undefined);
  switch (a.kind) {
    case 'count':
      return inside.length;
    case 'ratio': {
      const num = inside.filter((e) => a.numerator.includes(e.type)).length;
      const den = inside.filter((e) => a.denominator.includes(e.type)).length;
      return den === 0 ? 0 : num / den;
    }
    case 'sum': {
      const sum = values(a.measure).reduce((s, x) => s + x, 0);
      return a.clampAtZero ? Math.max(0, sum) : sum;
    }
    case 'mean': {
      const xs = values(a.measure);
      return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
    }
    case 'stddev': {
      const xs = values(a.measure);
      if (xs.length === 0) return 0;
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    }
    case 'min':
    case 'max': {
      const xs = values(a.measure);
      if (xs.length === 0) return 0;
      return a.kind === 'min' ? Math.min(...xs) : Math.max(...xs);
    }
    case 'seconds_since_last': {
      if (inside.length === 0) return def.window.ms / 1000;
      return (refMs - Math.max(...inside.map((e) => e.timeMs))) / 1000;
    }
    case 'span_seconds':
    case 'mean_gap_seconds': {
      if (inside.length === 0) return 0;
      const times = inside.map((e) => e.timeMs);
      const span = (Math.max(...times) - Math.min(...times)) / 1000;
      if (a.kind === 'span_seconds') return span;
      return inside.length < 2 ? 0 : span / (inside.length - 1);
    }
    case 'last_gap_seconds': {
      if (inside.length < 2) return 0;
      const times = inside.map((e) => e.timeMs).sort((x, y) => y - x);
      return (times[0]! - times[1]!) / 1000;
    }
    case 'distinct_count':
      return new Set(inside.flatMap((e) => keysOf(a.key, e))).size;
    case 'last_distinct': {
      const latest = new Map<string, number>();
      for (const e of inside) for (const k of keysOf(a.key, e)) latest.set(k, Math.max(latest.get(k) ?? -Infinity, e.timeMs));
      return [...latest]
        .sort((x, y) => y[1] - x[1] || (y[0] > x[0] ? 1 : y[0] < x[0] ? -1 : 0))
        .slice(0, a.n)
        .map(([k]) => k);
    }
    case 'top_weighted': {
      const weights = weighted(inside, a.key, a.weights);
      return [...weights]
        .filter(([, w]) => w > 0)
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
        .slice(0, a.n)
        .map(([k]) => k);
    }
    case 'share_of_latest': {
      let latestKey: string | undefined;
      let latestTime = -Infinity;
      for (const e of inside) {
        if ((a.weights[e.type] ?? 0) <= 0) continue;
        for (const k of keysOf(a.key, e)) {
          if (e.timeMs > latestTime || (e.timeMs === latestTime && latestKey !== undefined && k > latestKey)) {
            latestTime = e.timeMs;
            latestKey = k;
          }
        }
      }
      if (latestKey === undefined) return 0;
      const weights = weighted(inside, a.key, a.weights);
      let total = 0;
      for (const w of weights.values()) total += w;
      return total === 0 ? 0 : (weights.get(latestKey) ?? 0) / total;
    }
  }
}

function weighted(events: readonly FeatureEvent[], key: Parameters<typeof keysOf>[0], weights: TypeWeights): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    const w = weights[e.type] ?? 0;
    if (w <= 0) continue;
    for (const k of keysOf(key, e)) out.set(k, (out.get(k) ?? 0) + w);
  }
  return out;
}

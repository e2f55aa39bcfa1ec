import type { Aggregator } from '../aggregator.js';
import { count } from './count.js';
import { distinctCount } from './distinct-count.js';
import { lastDistinct } from './last-distinct.js';
import { lastGapSeconds } from './last-gap-seconds.js';
import { max } from './max.js';
import { mean } from './mean.js';
import { meanGapSeconds } from './mean-gap-seconds.js';
import { min } from './min.js';
import { ratio } from './ratio.js';
import { secondsSinceLast } from './seconds-since-last.js';
import { shareOfLatest } from './share-of-latest.js';
import { spanSeconds } from './span-seconds.js';
import { stddev } from './stddev.js';
import { sum } from './sum.js';
import { topWeighted } from './top-weighted.js';

/** Every aggregation kind. A new kind is a file beside these and one entry here. */
export const aggregators = [
  count,
  sum,
  mean,
  stddev,
  min,
  max,
  ratio,
  secondsSinceLast,
  spanSeconds,
  meanGapSeconds,
  lastGapSeconds,
  distinctCount,
  lastDistinct,
  topWeighted,
  shareOfLatest,
] as const;

type ParamsOf<K> = K extends Aggregator<infer A> ? A : never;

/** How a feature aggregates: one of the registered kinds with its parameters. */
export type Aggregation = ParamsOf<(typeof aggregators)[number]>;

const byKind = new Map<string, Aggregator<Aggregation>>();
for (const aggregator of aggregators) {
  if (byKind.has(aggregator.kind)) throw new Error(`aggregation kind ${aggregator.kind} is registered twice`);
  byKind.set(aggregator.kind, aggregator);
}

/** The registered kind of an aggregation. */
export function aggregatorOf<A extends Aggregation>(aggregation: A): Aggregator<A> {
  const aggregator = byKind.get(aggregation.kind);
  if (!aggregator) throw new Error(`unknown aggregation kind ${aggregation.kind}`);
  return aggregator as unknown as Aggregator<A>;
}

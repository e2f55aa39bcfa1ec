import { tokenize } from './tokenize.js';

// A small hand-made opinion lexicon: the baseline the trained model is compared with.
const POSITIVE = new Set(
  ('good great love loved loves excellent amazing awesome perfect best nice happy easy fantastic wonderful recommend ' +
    'recommended like liked enjoy enjoyed fun works worked fine fast beautiful delicious friendly helpful impressed ' +
    'satisfied pleased superb cool glad favorite comfortable solid reliable worth clear incredible outstanding').split(' '),
);
const NEGATIVE = new Set(
  ('bad poor terrible awful worst hate hated disappointed disappointing disappointment broke broken waste useless ' +
    'horrible slow problem problems return returned junk cheap fail failed fails stopped dead rude boring bland ' +
    'difficult annoying unfortunately mediocre wrong refund sucks sucked crap garbage nasty dirty overpriced defective').split(' '),
);

/**
 * The lexicon score of a text: (positive − negative word hits) / (hits + 1), in (−1, 1); a
 * negated word (`not_good`) counts for the other side.
 */
export function lexiconScore(text: string): number {
  let pos = 0;
  let neg = 0;
  for (const token of tokenize(text)) {
    const negated = token.startsWith('not_');
    const word = negated ? token.slice(4) : token;
    const sign = POSITIVE.has(word) ? 1 : NEGATIVE.has(word) ? -1 : 0;
    if (sign === 0) continue;
    if ((sign > 0) !== negated) pos++;
    else neg++;
  }
  return (pos - neg) / (pos + neg + 1);
}

import { parseAlexaReviews, parseLabelledSentences } from '@clickwise/clickstream-files';
import { labelledTexts, type LabelledText } from './data.js';
import type { SentimentMetrics } from './train.js';

/**
 * The review corpora of ../shared/data/reviews as labelled texts, from their contents (the caller
 * reads the files): `amazon_alexa.tsv` (rating ≥ 4 positive, ≤ 2 negative, 3 left out) and the UCI
 * sentence sets (`amazon_cells_labelled.txt`, `yelp_labelled.txt`, `imdb_labelled.txt`).
 */
export function reviewCorpus(files: { alexa?: string; amazonCells?: string; yelp?: string; imdb?: string }): LabelledText[] {
  return [
    ...(files.alexa === undefined ? [] : labelledTexts('alexa', parseAlexaReviews(files.alexa))),
    ...(files.amazonCells === undefined ? [] : labelledTexts('amazon_cells', parseLabelledSentences(files.amazonCells))),
    ...(files.yelp === undefined ? [] : labelledTexts('yelp', parseLabelledSentences(files.yelp))),
    ...(files.imdb === undefined ? [] : labelledTexts('imdb', parseLabelledSentences(files.imdb))),
  ];
}

/** Flat numbers for the registry's `metrics` (overall and per source, model and baselines). */
export function sentimentRegistryMetrics(metrics: SentimentMetrics): Record<string, number> {
  const out: Record<string, number> = {
    accuracy: metrics.overall.model.accuracy,
    roc_auc: metrics.overall.model.rocAuc,
    majority_accuracy: metrics.overall.majority.accuracy,
    lexicon_accuracy: metrics.overall.lexicon.accuracy,
    lexicon_roc_auc: metrics.overall.lexicon.rocAuc,
    held_back: metrics.heldBackSize,
    vocabulary: metrics.vocabularySize,
  };
  for (const [source, m] of Object.entries(metrics.bySource)) {
    out[`${source}_accuracy`] = m.model.accuracy;
    out[`${source}_roc_auc`] = m.model.rocAuc;
  }
  return out;
}

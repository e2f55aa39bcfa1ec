import { DelimitedParser } from './delimited.js';

/** One review text with its rating (1..5), or its sentiment when the corpus has no rating. */
export interface ReviewSample {
  text: string;
  rating?: number;
  positive?: boolean;
}

/**
 * Amazon Alexa reviews (amazon_alexa.tsv): `rating, date, variation, verified_reviews, feedback`,
 * tab-separated with quoted texts, a BOM and CRLF. Rows with an empty text are left out.
 */
export function parseAlexaReviews(text: string): ReviewSample[] {
  const parser = new DelimitedParser({ delimiter: '\t' });
  const records = [...parser.push(text), ...parser.end()];
  const header = records.shift()?.map((h) => h.trim()) ?? [];
  const ratingAt = header.indexOf('rating');
  const textAt = header.indexOf('verified_reviews');
  if (ratingAt < 0 || textAt < 0) throw new Error('amazon_alexa.tsv: expected columns rating and verified_reviews');
  const out: ReviewSample[] = [];
  for (const record of records) {
    const rating = Number(record[ratingAt]);
    const body = (record[textAt] ?? '').trim();
    if (body === '' || !Number.isInteger(rating) || rating < 1 || rating > 5) continue;
    out.push({ text: body, rating, positive: rating >= 4 });
  }
  return out;
}

/** UCI "Sentiment Labelled Sentences" (`sentence<TAB>label`, 1 positive, 0 negative); quotes are text. */
export function parseLabelledSentences(text: string): ReviewSample[] {
  const out: ReviewSample[] = [];
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const tab = line.lastIndexOf('\t');
    if (tab <= 0) continue;
    const label = line.slice(tab + 1).trim();
    const sentence = line.slice(0, tab).trim();
    if (sentence === '' || (label !== '0' && label !== '1')) continue;
    out.push({ text: sentence, positive: label === '1' });
  }
  return out;
}

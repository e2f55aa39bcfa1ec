/**
 * The tokenizer every text feature shares: review texts for the sentiment model and search queries
 * for term features.
 *
 * - Unicode-aware: NFKC (full-width and compatibility forms fold), lower case, diacritics kept for
 *   review text (they can carry meaning) but folded for search terms; a word is a run of letters,
 *   digits and inner apostrophes (`don't`, `l'été`).
 * - Negation: a negator (`not`, `no`, `never`, `n't` contractions, `without`, …) turns the words
 *   after it, up to the end of the clause (punctuation) or NEGATION_SCOPE words, into `not_<word>`:
 *   "not good" → `not_good`, "doesn't work well" → `not_work not_well`. The negator itself is not
 *   a token (it would be a strong, context-free signal of nothing). A negator with no word after
 *   it is kept as `not`.
 * - Bigrams: adjacent tokens of a clause joined by a space ("battery life").
 */

/** Words after a negator that are negated (within the clause). */
export const NEGATION_SCOPE = 3;

const NEGATORS = new Set([
  'not', 'no', 'never', 'none', 'nothing', 'nobody', 'nowhere', 'neither', 'nor', 'without', 'hardly', 'barely',
  'cannot', 'cant', 'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'wont', 'wouldnt', 'couldnt',
  'shouldnt', 'hasnt', 'havent', 'hadnt', 'aint', 'mustnt', 'neednt',
]);

/** Letters, digits and apostrophes inside words; clause breaks at sentence punctuation. */
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;
const CLAUSE_BREAK = /[.,;:!?()[\]{}"“”…\n\r\t]+|\s[-–—]+\s|\bbut\b/u;

/** NFKC and lower case: the form every tokenizer step reads. */
export function normaliseText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** The words of one clause, apostrophes removed (`don't` → `dont`). */
function words(clause: string): string[] {
  const out: string[] = [];
  for (const m of clause.matchAll(WORD)) out.push(m[0].replace(/['’]/g, ''));
  return out;
}

/** The clauses of a text, normalised. */
export function clauses(text: string): string[] {
  return normaliseText(text)
    .split(CLAUSE_BREAK)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/** Whether a word negates what follows. */
export function isNegator(word: string): boolean {
  return NEGATORS.has(word);
}

/** The unigram tokens of one clause, negation applied. */
function clauseTokens(clause: string): string[] {
  const out: string[] = [];
  let scope = 0;
  let pendingNegator = false;
  for (const w of words(clause)) {
    if (isNegator(w)) {
      scope = NEGATION_SCOPE;
      pendingNegator = true;
      continue;
    }
    if (scope > 0) {
      out.push(`not_${w}`);
      scope--;
      pendingNegator = false;
    } else {
      out.push(w);
    }
  }
  if (pendingNegator) out.push('not');
  return out;
}

/** Unigram tokens of a text, clause by clause, negation applied. */
export function tokenize(text: string): string[] {
  return clauses(text).flatMap(clauseTokens);
}

export interface TermOptions {
  /** Add adjacent-token bigrams (within a clause). Default true. */
  bigrams?: boolean;
}

/** The terms a text gives the bag of words: its tokens and, by default, their bigrams. */
export function textTerms(text: string, options: TermOptions = {}): string[] {
  const bigrams = options.bigrams ?? true;
  const out: string[] = [];
  for (const clause of clauses(text)) {
    const tokens = clauseTokens(clause);
    for (const t of tokens) out.push(t);
    if (!bigrams) continue;
    for (let i = 1; i < tokens.length; i++) out.push(`${tokens[i - 1]!} ${tokens[i]!}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Search queries

/** Most terms taken from one query, and the longest term kept. */
export const MAX_TERMS_PER_QUERY = 8;
export const MAX_TERM_LENGTH = 32;

/** Words a search query carries no product meaning in (English function words). */
const QUERY_STOPWORDS = new Set([
  'a', 'an', 'and', 'the', 'of', 'for', 'to', 'in', 'on', 'with', 'by', 'at', 'or', 'from', 'as', 'is', 'it', 'my', 'me', 'i',
]);

const QUERY_SPLIT = /[^\p{L}\p{N}]+/u;

/**
 * The normalised terms of a search query: NFKC, lower case, diacritics folded (`Café` → `cafe`),
 * split on anything that is not a letter or digit, words shorter than 2 characters and English
 * stopwords dropped, cut to 32 characters, distinct, at most 8, in query order.
 * "Red Running-Shoes for MEN" → red, running, shoes, men.
 */
export function queryTerms(query: string): string[] {
  const terms: string[] = [];
  if (query === '') return terms;
  const folded = query.normalize('NFKD').replace(/\p{M}+/gu, '').normalize('NFKC').toLowerCase();
  for (const raw of folded.split(QUERY_SPLIT)) {
    if (raw.length < 2 || QUERY_STOPWORDS.has(raw)) continue;
    const term = raw.length > MAX_TERM_LENGTH ? raw.slice(0, MAX_TERM_LENGTH) : raw;
    if (terms.includes(term)) continue;
    terms.push(term);
    if (terms.length === MAX_TERMS_PER_QUERY) break;
  }
  return terms;
}

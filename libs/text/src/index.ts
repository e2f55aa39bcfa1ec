export { labelFromRating, labelledTexts, seededRandom, shuffle, stratifiedSplit, type LabelledText } from './data.js';
export { lexiconScore } from './lexicon.js';
export { accuracy, rocAuc } from './metrics.js';
export {
  artifactChecksum,
  decodeSentimentArtifact,
  encodeSentimentArtifact,
  SENTIMENT_ARTIFACT_FORMAT,
  SENTIMENT_FORMAT,
  SENTIMENT_MODEL,
  SentimentModel,
  sentimentScorer,
  sigmoid,
  tfidfRow,
  type SentimentArtifact,
  type SentimentScorer,
  type SparseRow,
  type Vocabulary,
} from './sentiment.js';
export {
  clauses,
  isNegator,
  MAX_TERM_LENGTH,
  MAX_TERMS_PER_QUERY,
  NEGATION_SCOPE,
  normaliseText,
  queryTerms,
  textTerms,
  tokenize,
  type TermOptions,
} from './tokenize.js';

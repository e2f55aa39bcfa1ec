import { createHash } from 'node:crypto';
import { textTerms } from './tokenize.js';

/**
 * The sentiment model's artifact: a tf-idf bag of words (vocabulary, idf, L2-normalised rows) and
 * a logistic regression over it. Written by `trainSentimentModel` (train.ts, TensorFlow.js) and
 * read by `SentimentModel`, which scores with plain arithmetic (no tf at inference).
 *
 * Bytes: UTF-8 JSON of `SentimentArtifact` (one format, versioned by `format`).
 */
export const SENTIMENT_FORMAT = 'clickwise.sentiment.v1';

/** The registry's name and artifact format of the sentiment model (ADR 0058). */
export const SENTIMENT_MODEL = 'sentiment';
export const SENTIMENT_ARTIFACT_FORMAT = 'clickwise.sentiment/1';

export interface SentimentArtifact {
  format: typeof SENTIMENT_FORMAT;
  tokenizer: { bigrams: boolean };
  /** Terms, in weight order. */
  vocabulary: string[];
  /** Inverse document frequency of each term: ln((1 + N) / (1 + df)) + 1. */
  idf: number[];
  /** Logistic-regression weight of each term. */
  weights: number[];
  bias: number;
  /** What it was trained on and how it scored (informational). */
  trainedOn: Record<string, unknown>;
}

/** A sparse tf-idf row: term indices (ascending) and their L2-normalised weights. */
export interface SparseRow {
  indices: number[];
  values: number[];
}

/** Term index of a vocabulary. */
export type Vocabulary = ReadonlyMap<string, number>;

/**
 * The tf-idf row of a text: term counts × idf, L2-normalised (a text with no known term gives an
 * empty row: the score is then the bias alone).
 */
export function tfidfRow(text: string, vocabulary: Vocabulary, idf: readonly number[], bigrams: boolean): SparseRow {
  const counts = new Map<number, number>();
  for (const term of textTerms(text, { bigrams })) {
    const i = vocabulary.get(term);
    if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const indices = [...counts.keys()].sort((a, b) => a - b);
  const values = indices.map((i) => counts.get(i)! * idf[i]!);
  let norm = 0;
  for (const v of values) norm += v * v;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let k = 0; k < values.length; k++) values[k] = values[k]! / norm;
  return { indices, values };
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** What the feature engine needs from a sentiment model (libs/features takes one injected). */
export interface SentimentScorer {
  /** Identifies the model (here: the artifact's checksum); part of the features' definitions version. */
  readonly version: string;
  /** Probability that the text is positive, in (0, 1). */
  score(text: string): number;
}

/** First 12 hex digits of the SHA-256 of an artifact's bytes. */
export function artifactChecksum(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

export function encodeSentimentArtifact(artifact: SentimentArtifact): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(artifact));
}

/** Parses and checks an artifact, naming what is wrong. */
export function decodeSentimentArtifact(bytes: Uint8Array): SentimentArtifact {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error(`sentiment artifact: not UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const a = raw as Partial<SentimentArtifact> | null;
  if (a === null || typeof a !== 'object') throw new Error('sentiment artifact: expected a JSON object');
  if (a.format !== SENTIMENT_FORMAT) throw new Error(`sentiment artifact: format ${String(a.format)}, expected ${SENTIMENT_FORMAT}`);
  if (!Array.isArray(a.vocabulary) || !a.vocabulary.every((t) => typeof t === 'string')) throw new Error('sentiment artifact: vocabulary must be a list of strings');
  const n = a.vocabulary.length;
  for (const field of ['idf', 'weights'] as const) {
    const xs = a[field];
    if (!Array.isArray(xs) || xs.length !== n || !xs.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`sentiment artifact: ${field} must be ${n} finite numbers (one per vocabulary term)`);
    }
  }
  if (typeof a.bias !== 'number' || !Number.isFinite(a.bias)) throw new Error('sentiment artifact: bias must be a finite number');
  if (typeof a.tokenizer?.bigrams !== 'boolean') throw new Error('sentiment artifact: tokenizer.bigrams must be a boolean');
  return a as SentimentArtifact;
}

/**
 * A trained sentiment model, scored by hand: p = σ(b + Σ w_i · tfidf_i). Construct it from the
 * artifact bytes; `version` is their checksum.
 */
export class SentimentModel implements SentimentScorer {
  readonly version: string;
  readonly artifact: SentimentArtifact;
  private readonly vocabulary: Map<string, number>;
  private readonly weights: Float64Array;

  constructor(bytes: Uint8Array) {
    this.artifact = decodeSentimentArtifact(bytes);
    this.version = artifactChecksum(bytes);
    this.vocabulary = new Map(this.artifact.vocabulary.map((t, i) => [t, i]));
    this.weights = Float64Array.from(this.artifact.weights);
  }

  /** The tf-idf row the model reads for a text. */
  row(text: string): SparseRow {
    return tfidfRow(text, this.vocabulary, this.artifact.idf, this.artifact.tokenizer.bigrams);
  }

  /** The logit: b + Σ w_i · x_i. */
  logit(text: string): number {
    const { indices, values } = this.row(text);
    let z = this.artifact.bias;
    for (let k = 0; k < indices.length; k++) z += this.weights[indices[k]!]! * values[k]!;
    return z;
  }

  score(text: string): number {
    return sigmoid(this.logit(text));
  }

  /** The terms of a text that pushed its score most, signed (explanations). */
  contributions(text: string, top = 5): { term: string; contribution: number }[] {
    const { indices, values } = this.row(text);
    return indices
      .map((i, k) => ({ term: this.artifact.vocabulary[i]!, contribution: this.weights[i]! * values[k]! }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
      .slice(0, top);
  }
}

/** `sentiment(text)`: a scorer function from artifact bytes. */
export function sentimentScorer(bytes: Uint8Array): (text: string) => number {
  const model = new SentimentModel(bytes);
  return (text) => model.score(text);
}

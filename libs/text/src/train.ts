import { loadTensorflow, type BackendChoice, type BackendName, type Tf } from '@clickwise/tf';
import { seededRandom, shuffle, stratifiedSplit, type LabelledText } from './data.js';
import { lexiconScore } from './lexicon.js';
import { accuracy, rocAuc } from './metrics.js';
import { encodeSentimentArtifact, SENTIMENT_FORMAT, tfidfRow, type SentimentArtifact, type SparseRow } from './sentiment.js';
import { textTerms } from './tokenize.js';

export interface TrainSentimentOptions {
  /** Every labelled text (both parts: the held-back part is taken out here, stratified by source and label). */
  texts: readonly LabelledText[];
  /** Share held back for the reported metrics (default 0.2). */
  heldBackShare?: number;
  /** Seeds the split, the batch order (weights start at zero): same seed, same artifact. Default 1. */
  seed?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /** L2 penalty on the weights (mean loss + l2 · Σw²). */
  l2?: number;
  /** A term enters the vocabulary when at least this many training texts have it. */
  minDocumentFrequency?: number;
  maxVocabulary?: number;
  bigrams?: boolean;
  backend?: BackendChoice;
  /** Kept in the artifact's `trainedOn` (e.g. the corpus checksum, so a trainer can tell a retrain on the same data). */
  provenance?: Readonly<Record<string, unknown>>;
}

export interface ClassifierScores {
  accuracy: number;
  rocAuc: number;
}

export interface SourceMetrics {
  /** Held-back texts of the source, and the share positive. */
  n: number;
  positiveShare: number;
  model: ClassifierScores;
  /** The source's majority class in training, for every text (ROC-AUC of a constant: 0.5). */
  majority: ClassifierScores;
  /** lexiconScore > 0 positive, < 0 negative, 0 the majority class. */
  lexicon: ClassifierScores;
}

export interface SentimentMetrics {
  backend: BackendName;
  seed: number;
  trainSize: number;
  heldBackSize: number;
  vocabularySize: number;
  epochs: number;
  overall: SourceMetrics;
  bySource: Record<string, SourceMetrics>;
  seconds: number;
}

export interface TrainedSentiment {
  artifact: Uint8Array;
  metrics: SentimentMetrics;
  /** The held-back texts and TensorFlow.js's probabilities for them (the hand scorer is checked against these). */
  heldBack: { texts: LabelledText[]; tfScores: number[] };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

interface Fitted {
  vocabulary: string[];
  idf: number[];
}

/** Vocabulary (document frequency ≥ minDf, the most frequent first, ties by term) and idf. */
export function fitVocabulary(texts: readonly string[], minDf: number, maxSize: number, bigrams: boolean): Fitted {
  const df = new Map<string, number>();
  for (const text of texts) for (const term of new Set(textTerms(text, { bigrams }))) df.set(term, (df.get(term) ?? 0) + 1);
  const vocabulary = [...df.entries()]
    .filter(([, n]) => n >= minDf)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxSize)
    .map(([term]) => term);
  const n = texts.length;
  const idf = vocabulary.map((term) => Math.log((1 + n) / (1 + df.get(term)!)) + 1);
  return { vocabulary, idf };
}

function denseBatch(rows: readonly SparseRow[], at: readonly number[], width: number): Float32Array {
  const out = new Float32Array(at.length * width);
  at.forEach((r, b) => {
    const row = rows[r]!;
    for (let k = 0; k < row.indices.length; k++) out[b * width + row.indices[k]!] = row.values[k]!;
  });
  return out;
}

/** Probabilities from TensorFlow.js: σ(X·w + b) over dense batches. */
function tfPredict(tf: Tf, rows: readonly SparseRow[], w: ReturnType<Tf['variable']>, b: ReturnType<Tf['variable']>, width: number): number[] {
  const out: number[] = [];
  const size = 256;
  for (let start = 0; start < rows.length; start += size) {
    const at = Array.from({ length: Math.min(size, rows.length - start) }, (_, k) => start + k);
    const p = tf.tidy(() => tf.sigmoid(tf.add(tf.matMul(tf.tensor2d(denseBatch(rows, at, width), [at.length, width]), w), b)));
    out.push(...p.dataSync());
    p.dispose();
  }
  return out;
}

function scoresOf(scores: readonly number[], labels: readonly boolean[], threshold = 0.5): ClassifierScores {
  return { accuracy: accuracy(scores, labels, threshold), rocAuc: rocAuc(scores, labels) };
}

function evaluate(texts: readonly LabelledText[], model: readonly number[], majorityBySource: ReadonlyMap<string, boolean>): SourceMetrics {
  const labels = texts.map((t) => t.positive);
  const majority = texts.map((t) => (majorityBySource.get(t.source) ? 1 : 0));
  const lexicon = texts.map((t) => lexiconScore(t.text));
  // Lexicon: the sign decides; a tie (0) falls back to the majority class.
  const lexiconVotes = lexicon.map((s, i) => (s > 0 ? 1 : s < 0 ? 0 : majority[i]!));
  return {
    n: texts.length,
    positiveShare: labels.filter(Boolean).length / Math.max(1, labels.length),
    model: scoresOf(model, labels),
    majority: { accuracy: accuracy(majority, labels), rocAuc: 0.5 },
    lexicon: { accuracy: accuracy(lexiconVotes, labels), rocAuc: rocAuc(lexicon, labels) },
  };
}

/**
 * Trains the sentiment model: a stratified held-back part (per source and label) is set aside,
 * the vocabulary and idf are fitted on the rest, and a logistic regression over L2-normalised
 * tf-idf rows is trained with Adam in TensorFlow.js (weights from zero, seeded batch order).
 * Returns the artifact bytes (SentimentModel reads them) and accuracy / ROC-AUC on the held-back
 * part per source and overall, beside the majority-class and lexicon baselines.
 */
export async function trainSentimentModel(options: TrainSentimentOptions): Promise<TrainedSentiment> {
  const started = performance.now();
  const seed = options.seed ?? 1;
  const epochs = options.epochs ?? 25;
  const batchSize = options.batchSize ?? 64;
  const learningRate = options.learningRate ?? 0.02;
  const l2 = options.l2 ?? 1e-5;
  const bigrams = options.bigrams ?? true;
  if (options.texts.length < 10) throw new Error(`trainSentimentModel: ${options.texts.length} labelled texts, need at least 10`);
  const { train, test } = stratifiedSplit(options.texts, options.heldBackShare ?? 0.2, seed);
  const { vocabulary, idf } = fitVocabulary(
    train.map((t) => t.text),
    options.minDocumentFrequency ?? 2,
    options.maxVocabulary ?? 20_000,
    bigrams,
  );
  if (vocabulary.length === 0) throw new Error('trainSentimentModel: no term reaches the minimum document frequency');
  const index = new Map(vocabulary.map((t, i) => [t, i]));
  const width = vocabulary.length;
  const trainRows = train.map((t) => tfidfRow(t.text, index, idf, bigrams));
  const testRows = test.map((t) => tfidfRow(t.text, index, idf, bigrams));
  const trainLabels = Float32Array.from(train, (t) => (t.positive ? 1 : 0));

  const { tf, backend } = await loadTensorflow(options.backend ? { backend: options.backend } : {});
  const w = tf.variable(tf.zeros([width, 1]), true, `sentiment_w_${seed}_${Date.now()}`);
  const b = tf.variable(tf.zeros([1]), true, `sentiment_b_${seed}_${Date.now()}`);
  const optimizer = tf.train.adam(learningRate);
  const random = seededRandom(seed ^ 0x5eed);
  const order = train.map((_, i) => i);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      shuffle(order, random);
      for (let start = 0; start < order.length; start += batchSize) {
        // Yield to the event loop between batches: a service training this (the trainer) keeps
        // answering, renewing its run lease and flushing its logs.
        await yieldToEventLoop();
        const at = order.slice(start, start + batchSize);
        tf.tidy(() => {
          const x = tf.tensor2d(denseBatch(trainRows, at, width), [at.length, width]);
          const y = tf.tensor2d(Float32Array.from(at, (i) => trainLabels[i]!), [at.length, 1]);
          optimizer.minimize(() => {
            const logits = tf.add(tf.matMul(x, w), b);
            const loss = tf.losses.sigmoidCrossEntropy(y, logits);
            return tf.add<ReturnType<Tf['scalar']>>(loss, tf.mul(l2, tf.sum(tf.square(w))));
          }, false, [w, b]);
        });
      }
    }
    const weights = Array.from(w.dataSync());
    const bias = b.dataSync()[0]!;
    const tfScores = tfPredict(tf, testRows, w, b, width);

    const majorityBySource = new Map<string, boolean>();
    for (const source of new Set(options.texts.map((t) => t.source))) {
      const inSource = train.filter((t) => t.source === source);
      majorityBySource.set(source, inSource.filter((t) => t.positive).length * 2 >= inSource.length);
    }
    const bySource: Record<string, SourceMetrics> = {};
    for (const source of [...majorityBySource.keys()].sort()) {
      const at = test.map((t, i) => (t.source === source ? i : -1)).filter((i) => i >= 0);
      bySource[source] = evaluate(at.map((i) => test[i]!), at.map((i) => tfScores[i]!), majorityBySource);
    }
    const artifact: SentimentArtifact = {
      format: SENTIMENT_FORMAT,
      tokenizer: { bigrams },
      vocabulary,
      idf,
      weights,
      bias,
      trainedOn: { ...options.provenance, sources: Object.keys(bySource), trainSize: train.length, seed, epochs, learningRate, l2, batchSize },
    };
    const metrics: SentimentMetrics = {
      backend,
      seed,
      trainSize: train.length,
      heldBackSize: test.length,
      vocabularySize: width,
      epochs,
      overall: evaluate(test, tfScores, majorityBySource),
      bySource,
      seconds: (performance.now() - started) / 1000,
    };
    return { artifact: encodeSentimentArtifact(artifact), metrics, heldBack: { texts: test, tfScores } };
  } finally {
    w.dispose();
    b.dispose();
    optimizer.dispose();
  }
}

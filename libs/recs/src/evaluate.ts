import { InvalidInputError } from '@clickwise/errors';
import { hitRateAtK, mrrAtK } from '@clickwise/evaluation';
import { mulberry32 } from '@clickwise/random';
import { MemoryRecsStore } from './memory.store.js';
import { planBatch } from './plan.js';
import { Recommender } from './recommender.js';
import type { IndexSlice } from './store.js';
import { DEFAULT_INDEX_CONFIG, DEFAULT_RANK_CONFIG, type IndexConfig, type RankConfig, type RecsEvent, type SequenceModel } from './types.js';

/**
 * Offline evaluation of the recommender on session data (the Diginetica format): the same store,
 * candidate and ranking code the service runs, over an in-memory index built from the training
 * sessions within the run; parameters tuned on a validation split from the END of the training
 * sessions, never on the test file (ADR 0091).
 */

export interface TestCase {
  readonly prefix: readonly string[];
  readonly label: string;
}

/** Parses training sessions: one JSON array of item ids a line (numbers or strings). */
export function parseSessions(text: string, file = 'train'): string[][] {
  const out: string[][] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InvalidInputError(`${file}:${i + 1}: not JSON (${(error as Error).message})`, `${file}:${i + 1}`);
    }
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      throw new InvalidInputError(`${file}:${i + 1}: a session is a JSON array of item ids`, `${file}:${i + 1}`);
    }
    out.push((value as (string | number)[]).map(String));
  }
  return out;
}

/** Parses test cases: `{"prefix": [...], "label": id}` a line. */
export function parseCases(text: string, file = 'test'): TestCase[] {
  const out: TestCase[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: { prefix?: unknown; label?: unknown };
    try {
      value = JSON.parse(line) as typeof value;
    } catch (error) {
      throw new InvalidInputError(`${file}:${i + 1}: not JSON (${(error as Error).message})`, `${file}:${i + 1}`);
    }
    const { prefix, label } = value;
    if (!Array.isArray(prefix) || prefix.length === 0 || prefix.some((v) => typeof v !== 'string' && typeof v !== 'number') || (typeof label !== 'string' && typeof label !== 'number')) {
      throw new InvalidInputError(`${file}:${i + 1}: a case is {"prefix": [item ids, at least one], "label": item id}`, `${file}:${i + 1}`);
    }
    out.push({ prefix: (prefix as (string | number)[]).map(String), label: String(label) });
  }
  return out;
}

/** All prefixes of each session: [a,b,c] → ([a]→b), ([a,b]→c). */
export function casesOf(sessions: readonly (readonly string[])[]): TestCase[] {
  const out: TestCase[] = [];
  for (const s of sessions) for (let i = 1; i < s.length; i++) out.push({ prefix: s.slice(0, i), label: s[i]! });
  return out;
}

/** Sessions without times get synthetic ones from their order: one session a minute, one click a second. */
export const SESSION_SPACING_MS = 60_000;

export function sessionEvents(sessions: readonly (readonly string[])[], offset = 0): RecsEvent[] {
  const events: RecsEvent[] = [];
  sessions.forEach((items, i) => {
    const id = String(offset + i);
    const base = (offset + i) * SESSION_SPACING_MS;
    items.forEach((itemId, p) => events.push({ shopperKey: `s${id}`, sessionId: id, itemId, kind: 'view', timeMs: base + p * 1000 }));
  });
  return events;
}

/** A recommender over an in-memory index of `sessions` (loaded synchronously, in batches). */
export function buildRecommender(sessions: readonly (readonly string[])[], index: IndexConfig, rank: RankConfig): Recommender {
  const store = new MemoryRecsStore();
  const events = sessionEvents(sessions);
  const landmark = 0;
  void store.landmark(landmark);
  for (let i = 0; i < events.length; i += 10_000) store.applySync(planBatch(events.slice(i, i + 10_000), landmark, index));
  return new Recommender(store, { config: { index, rank } });
}

export interface RecsMetrics {
  readonly cases: number;
  readonly hr20: number;
  readonly mrr20: number;
  readonly hr10: number;
  readonly mrr10: number;
  /** Share of catalogue items appearing in some top-20 list. */
  readonly coverage: number;
  /** Share of recommended items (top-20 slots) among the 10% most-viewed items. */
  readonly popularityShare: number;
}

/** Metrics of top-20 lists against labels; independent of the order of the cases. */
export function metricsOf(lists: readonly (readonly string[])[], labels: readonly string[], catalogue: ReadonlySet<string>, mostViewed: ReadonlySet<string>): RecsMetrics {
  const ranks = new Float64Array(lists.length);
  const covered = new Set<string>();
  let slots = 0;
  let popularSlots = 0;
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!.slice(0, 20);
    const at = list.indexOf(labels[i]!);
    ranks[i] = at < 0 ? Number.POSITIVE_INFINITY : at + 1;
    for (const item of list) {
      if (catalogue.has(item)) covered.add(item);
      slots++;
      if (mostViewed.has(item)) popularSlots++;
    }
  }
  // Sorted ranks: the sums do not depend on the order of the cases (a shuffled file gives identical figures).
  ranks.sort();
  return {
    cases: lists.length,
    hr20: 100 * hitRateAtK(ranks, 20),
    mrr20: 100 * mrrAtK(ranks, 20),
    hr10: 100 * hitRateAtK(ranks, 10),
    mrr10: 100 * mrrAtK(ranks, 10),
    coverage: catalogue.size === 0 ? 0 : (100 * covered.size) / catalogue.size,
    popularityShare: slots === 0 ? 0 : (100 * popularSlots) / slots,
  };
}

/** The catalogue (items of the training sessions) and its 10% most-viewed items. */
export function catalogueOf(sessions: readonly (readonly string[])[]): { catalogue: Set<string>; mostViewed: Set<string> } {
  const views = new Map<string, number>();
  for (const s of sessions) for (const item of s) views.set(item, (views.get(item) ?? 0) + 1);
  const byViews = [...views].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { catalogue: new Set(views.keys()), mostViewed: new Set(byViews.slice(0, Math.ceil(byViews.length / 10)).map(([item]) => item)) };
}

/** What a run asks of one sequence-model training beyond the sessions (ADR 0068). */
export interface SequenceTrainRequest {
  /** Sessions that select the epoch (the run's validation split); then every given session trains. */
  readonly validationSessions?: readonly (readonly string[])[];
  /** Warm start from this model (one the hook returned), for `epochs` more epochs with no hold-out. */
  readonly initial?: SequenceModel;
  readonly epochs?: number;
  /** 0: no share of the sessions held out. */
  readonly validationFraction?: number;
  /** The training's seed (the further members of an ensemble, ADR 0088); default: the hook's. */
  readonly seed?: number;
  /** Overrides of the hook's own rate and schedule (the recency epoch's). */
  readonly learningRate?: number;
  readonly learningRateDecay?: number;
}

/**
 * One more epoch of the sequence model over only the latest `share` of its training sessions, at
 * `learningRate` (constant), after its training: the latest sessions weigh more, as the test cases
 * come after them (ADR 0088). Kept only if it raises the blend's validation objective.
 */
export interface RecentEpochOptions {
  readonly share: number;
  readonly learningRate: number;
}

export interface SequenceHook {
  /**
   * Trains a sequence model on the given sessions. When the run tunes it is called twice (ADR
   * 0068): on the tuning part, its epoch chosen on the run's validation split (the model is tuned
   * against); then, for the test, that model warm-started for `refitEpochs` more epochs over all of
   * --train, so the latest sessions train it too. With `noTune`, once on all of --train. `epochs`
   * in the answer: how many epochs the returned model trained (its kept epoch), for a refit from
   * scratch (ADR 0069).
   */
  train(sessions: readonly (readonly string[])[], request?: SequenceTrainRequest): Promise<{ model: SequenceModel; version: string; epochs?: number }>;
  /** Several trained models answering as one (the mean of their scores), for `members` above 1. */
  ensemble?(models: readonly SequenceModel[]): SequenceModel;
}

export interface EvaluateOptions {
  readonly index?: IndexConfig;
  /** Starting point of the tuning (default DEFAULT_RANK_CONFIG). */
  readonly rank?: RankConfig;
  /** Share of training sessions (from the end) held out for tuning; default 0.1. */
  readonly validationShare?: number;
  /** Validation cases used for tuning (a seeded sample); default 4000. */
  readonly validationCases?: number;
  /** Rounds of coordinate ascent; default 1. */
  readonly rounds?: number;
  /** Skip tuning: evaluate `rank` as given. */
  readonly noTune?: boolean;
  readonly sequence?: SequenceHook;
  /** Epochs of the warm-started refit over all of --train after tuning (default 1; 0: test the tuned model). */
  readonly refitEpochs?: number;
  /**
   * How the test model is refit over all of --train after tuning (ADR 0069): 'warm' (default)
   * warm-starts the tuned model for `refitEpochs`; 'scratch' trains a new one, with nothing held
   * out, for as many epochs as the tuned model kept (the hook's `epochs`).
   */
  readonly refit?: 'warm' | 'scratch';
  /** The recency epoch (ADR 0088); none by default. */
  readonly recent?: RecentEpochOptions;
  /**
   * With refit 'scratch': the test model is this many models trained from scratch over all of
   * --train, seeds apart, each with the kept recency epoch, answering as one through the hook's
   * `ensemble` (ADR 0088). Default 1. Tuning uses the one tuned model.
   */
  readonly members?: number;
  readonly onProgress?: (stage: string, done: number, total: number, note?: string) => void;
}

export interface TuningStep {
  readonly parameter: string;
  readonly value: string;
  readonly hr20: number;
  readonly mrr20: number;
  readonly kept: boolean;
}

export interface EvaluateResult {
  readonly test: RecsMetrics;
  readonly validation?: RecsMetrics;
  readonly rank: RankConfig;
  readonly index: IndexConfig;
  readonly tuning: readonly TuningStep[];
  readonly trainSessions: number;
  readonly tuneSessions: number;
  readonly validationCases: number;
  readonly seconds: { readonly total: number; readonly tune: number; readonly build: number; readonly test: number };
}

/** A parameter the tuner walks: candidate values applied to a rank config. */
interface Axis {
  readonly name: string;
  readonly values: readonly unknown[];
  /** Reading it changes the slice (expansion, sampling): the slices are read again. */
  readonly read: boolean;
  readonly apply: (c: RankConfig, v: unknown) => RankConfig;
}

const num = (name: keyof RankConfig, values: number[], read = false): Axis => ({ name, values, read, apply: (c, v) => ({ ...c, [name]: v as number }) });
const weight = (name: keyof RankConfig['weights'], values: number[]): Axis => ({ name: `weights.${name}`, values, read: false, apply: (c, v) => ({ ...c, weights: { ...c.weights, [name]: v as number } }) });

function axes(withSequence: boolean): Axis[] {
  const list: Axis[] = [
    num('sampleSize', [500, 1000], true),
    num('expandItems', [5, 10], true),
    num('neighbours', [50, 100, 200]),
    num('positionDecay', [0, 1, 2, 4]),
    num('itemDecay', [0, 1, 2, 4]),
    num('recencyDecayMs', [0, 20_000 * SESSION_SPACING_MS, 100_000 * SESSION_SPACING_MS]),
    { name: 'idf', values: [false, true], read: false, apply: (c, v) => ({ ...c, idf: v as boolean }) },
    weight('covisitation', [0, 0.1, 0.3, 0.6]),
    num('covisRecencyDecay', [0.5, 1]),
    weight('popular', [0, 0.01]),
  ];
  if (withSequence) list.push(num('sequenceTemperature', [0.5, 2, 4, 8]), weight('sequence', [0.25, 0.5, 1, 2, 4]));
  return list;
}

const objective = (m: RecsMetrics) => m.hr20 + m.mrr20;

const describeRecent = (r: RecentEpochOptions) => `${(100 * r.share).toFixed(1).replace(/\.0$/, '')}% at ${r.learningRate}`;

/** The recency epoch (ADR 0088): `model` warm-started for one epoch over the latest share of `sessions`. */
async function recentEpoch(
  hook: SequenceHook,
  sessions: readonly (readonly string[])[],
  model: SequenceModel,
  recent: RecentEpochOptions,
  validationSessions?: readonly (readonly string[])[],
): Promise<{ model: SequenceModel; version: string }> {
  const latest = sessions.slice(-Math.max(1, Math.round(sessions.length * recent.share)));
  const request: SequenceTrainRequest = {
    initial: model,
    epochs: 1,
    learningRate: recent.learningRate,
    learningRateDecay: 1,
    ...(validationSessions ? { validationSessions } : { validationFraction: 0 }),
  };
  const { model: next, version } = await hook.train(latest, request);
  return { model: next, version };
}

/** A sequence model whose top-k answers are kept per prefix (the tuning asks each case once per config). */
function memoized(model: SequenceModel): SequenceModel {
  const answers = new Map<string, { itemId: string; score: number }[]>();
  return {
    itemIds: model.itemIds,
    topK(prefix, k, exclude) {
      if (exclude !== undefined && exclude.size > 0) return model.topK(prefix, k, exclude);
      const key = `${k}\u0000${prefix.join('\u0000')}`;
      let answer = answers.get(key);
      if (answer === undefined) answers.set(key, (answer = model.topK(prefix, k)));
      return answer;
    },
    score: (prefix, itemIds) => model.score(prefix, itemIds),
    toArtifact: () => model.toArtifact(),
  };
}

function sample<T>(items: readonly T[], n: number, seed: number): T[] {
  if (items.length <= n) return items.slice();
  const random = mulberry32(seed);
  const copy = items.slice();
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

function topLists(recommender: Recommender, slices: readonly IndexSlice[], cases: readonly TestCase[]): string[][] {
  return slices.map((slice, i) => recommender.rankSlice(slice, { recentItems: cases[i]!.prefix, k: 20, filters: { excludeBought: false } }).items.map((x) => x.itemId));
}

function readSlices(recommender: Recommender, cases: readonly TestCase[]): IndexSlice[] {
  const store = recommender.store as MemoryRecsStore;
  return cases.map((c) => store.readSync(recommender.queryOf({ recentItems: c.prefix, k: 20 })));
}

/** Evaluates one rank config on cases (reads the slices, ranks, scores). */
export function evaluateCases(recommender: Recommender, cases: readonly TestCase[], catalogue: ReadonlySet<string>, mostViewed: ReadonlySet<string>, slices = readSlices(recommender, cases)): RecsMetrics {
  return metricsOf(topLists(recommender, slices, cases), cases.map((c) => c.label), catalogue, mostViewed);
}

export async function evaluateRecs(train: readonly (readonly string[])[], test: readonly TestCase[], options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const started = performance.now();
  if (train.length < 10) throw new InvalidInputError(`--train has ${train.length} sessions; at least 10 are needed`, 'train');
  if (test.length === 0) throw new InvalidInputError('--test has no cases', 'test');
  const members = options.members ?? 1;
  if (!Number.isInteger(members) || members < 1) throw new InvalidInputError(`members ${members}: expected a whole number of at least 1`, 'members');
  if (members > 1 && (options.refit !== 'scratch' || options.noTune || !options.sequence?.ensemble)) {
    throw new InvalidInputError("an ensemble of sequence models needs the refit 'scratch' after tuning, and a sequence hook that can ensemble", 'members');
  }
  const index = options.index ?? DEFAULT_INDEX_CONFIG;
  let rank = options.rank ?? DEFAULT_RANK_CONFIG;
  const progress = options.onProgress ?? (() => {});
  const tuning: TuningStep[] = [];
  const share = options.validationShare ?? 0.1;
  const cut = Math.max(1, Math.min(train.length - 1, Math.round(train.length * (1 - share))));
  const tunePart = train.slice(0, cut);
  const validation = sample(casesOf(train.slice(cut)), options.validationCases ?? 4000, 20261202);
  let validationMetrics: RecsMetrics | undefined;
  let trained: { model: SequenceModel; version: string; epochs?: number } | undefined;
  // Without tuning there is no validation to choose by: a requested recency epoch is applied.
  let recentKept = options.recent !== undefined && (options.noTune === true || validation.length === 0);

  if (!options.noTune && validation.length > 0) {
    // The model trains before the index is built: with the index's ~1 GB on the heap, V8's
    // marking would share the two cores with the training.
    let recentModel: { model: SequenceModel; version: string } | undefined;
    if (options.sequence) {
      progress('tune', 0, 1, 'training the sequence model on the tuning part');
      trained = await options.sequence.train(tunePart, { validationSessions: train.slice(cut) });
      if (options.recent) {
        progress('tune', 0, 1, `one more epoch over the latest ${describeRecent(options.recent)} of the tuning part`);
        recentModel = await recentEpoch(options.sequence, tunePart, trained.model, options.recent, train.slice(cut));
      }
    }
    const { catalogue, mostViewed } = catalogueOf(tunePart);
    const recommender = buildRecommender(tunePart, index, rank);
    recommender.setRankConfig(rank);
    let slices = readSlices(recommender, validation);
    // The model's answer for a case does not depend on the rank config: asked once per case.
    if (trained) recommender.setSequenceModel(memoized(trained.model), trained.version);
    let best = evaluateCases(recommender, validation, catalogue, mostViewed, slices);
    tuning.push({ parameter: 'start', value: '', hr20: best.hr20, mrr20: best.mrr20, kept: true });
    if (trained && recentModel && options.recent) {
      recommender.setSequenceModel(memoized(recentModel.model), recentModel.version);
      const m = evaluateCases(recommender, validation, catalogue, mostViewed, slices);
      recentKept = objective(m) > objective(best) + 1e-9;
      tuning.push({ parameter: 'sequenceRecent', value: describeRecent(options.recent), hr20: m.hr20, mrr20: m.mrr20, kept: recentKept });
      if (recentKept) {
        best = m;
        trained = { ...recentModel, ...(trained.epochs === undefined ? {} : { epochs: trained.epochs }) };
      } else recommender.setSequenceModel(memoized(trained.model), trained.version);
    }
    const list = axes(options.sequence !== undefined);
    let steps = 0;
    const total = list.reduce((n, a) => n + a.values.length, 0) * (options.rounds ?? 1);
    // Coordinate ascent over the axes (one round by default).
    for (let round = 0; round < (options.rounds ?? 1); round++) {
      for (const axis of list) {
        for (const value of axis.values) {
          progress('tune', ++steps, total, `${axis.name}=${String(value)}`);
          const candidate = axis.apply(rank, value);
          if (JSON.stringify(candidate) === JSON.stringify(rank)) continue;
          recommender.setRankConfig(candidate);
          const candidateSlices = axis.read ? readSlices(recommender, validation) : slices;
          const m = evaluateCases(recommender, validation, catalogue, mostViewed, candidateSlices);
          const kept = objective(m) > objective(best) + 1e-9;
          tuning.push({ parameter: axis.name, value: String(value), hr20: m.hr20, mrr20: m.mrr20, kept });
          if (kept) {
            best = m;
            rank = candidate;
            if (axis.read) slices = candidateSlices;
          }
        }
        recommender.setRankConfig(rank);
      }
    }
    validationMetrics = best;
  }
  const tuned = performance.now();

  if (options.sequence) {
    const hook = options.sequence;
    const refit = options.refitEpochs ?? 1;
    // The kept recency epoch, after whatever trained the test model (each member of an ensemble).
    const withRecent = async (fit: { model: SequenceModel; version: string }, of = ''): Promise<{ model: SequenceModel; version: string }> => {
      if (!recentKept || !options.recent) return fit;
      progress('build', 0, 1, `one more epoch over the latest ${describeRecent(options.recent)} of --train${of}`);
      return recentEpoch(hook, train, fit.model, options.recent);
    };
    if (trained === undefined) trained = await withRecent(await hook.train(train));
    else if (refit > 0 && options.refit === 'scratch') {
      const epochs = trained.epochs;
      if (epochs === undefined) throw new Error("refit 'scratch' needs the sequence hook to say how many epochs its model trained");
      const models: SequenceModel[] = [];
      for (let m = 0; m < members; m++) {
        const of = members > 1 ? ` (member ${m + 1} of ${members})` : '';
        progress('build', 0, 1, `training the sequence model again over all ${train.length} sessions (${epochs} epoch${epochs === 1 ? '' : 's'}, the tuned model's)${of}`);
        trained = await withRecent(await hook.train(train, { epochs, validationFraction: 0, ...(m > 0 ? { seed: 1000 + m } : {}) }), of);
        models.push(trained.model);
      }
      if (members > 1) trained = { model: hook.ensemble!(models), version: `ensemble-of-${members}` };
    } else if (refit > 0) {
      progress('build', 0, 1, `refitting the sequence model over all ${train.length} sessions (${refit} epoch${refit === 1 ? '' : 's'}, warm start)`);
      trained = await withRecent(await hook.train(train, { initial: trained.model, epochs: refit, validationFraction: 0 }));
    } else trained = await withRecent(trained);
  }
  // Indexed after the refit, for the same reason as in the tuning.
  progress('build', 0, 1, `indexing ${train.length} sessions`);
  const { catalogue, mostViewed } = catalogueOf(train);
  const recommender = buildRecommender(train, index, rank);
  if (trained) recommender.setSequenceModel(trained.model, trained.version);
  const built = performance.now();
  const lists: string[][] = [];
  const store = recommender.store as MemoryRecsStore;
  for (let i = 0; i < test.length; i++) {
    if (i % 2000 === 0) progress('test', i, test.length);
    const request = { recentItems: test[i]!.prefix, k: 20, filters: { excludeBought: false } };
    lists.push(recommender.rankSlice(store.readSync(recommender.queryOf(request)), request).items.map((x) => x.itemId));
  }
  progress('test', test.length, test.length);
  const testMetrics = metricsOf(lists, test.map((c) => c.label), catalogue, mostViewed);
  const done = performance.now();
  return {
    test: testMetrics,
    ...(validationMetrics ? { validation: validationMetrics } : {}),
    rank,
    index,
    tuning,
    trainSessions: train.length,
    tuneSessions: tunePart.length,
    validationCases: validation.length,
    seconds: { total: (done - started) / 1000, tune: (tuned - started) / 1000, build: (built - tuned) / 1000, test: (done - built) / 1000 },
  };
}

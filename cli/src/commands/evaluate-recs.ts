import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isAbsolute, resolve } from 'node:path';
import { evaluateRecs, parseCases, parseSessions, type EvaluateResult, type RecentEpochOptions, type SequenceHook, type SequenceModel } from '@clickwise/recs';
import { bold, info, parseCommandArgs, printJson, Progress } from '../command.js';

export const EVALUATE_RECS_HELP = `Usage: clickwise evaluate recs --train FILE --test FILE [--sequence MODULE [--sequence-epochs N] [--sequence-refit-epochs N] [--sequence-refit warm|scratch] [--sequence-learning-rate R] [--sequence-lr-decay G] [--sequence-recent-share S [--sequence-recent-learning-rate R]] [--sequence-ensemble N]] [--no-tune] [--json]

Builds the recommender's live index (libs/recs, the in-memory store: the service's candidate and
ranking code) from the training sessions within the run, tunes the ranking parameters by
coordinate ascent on a validation split carved from the END of the training sessions (last 10%,
a seeded sample of 4,000 of their prefix cases; never the test file), rebuilds the index on all
of --train and ranks every test case over all items (a label outside the top 20 is a miss).

  --train FILE     one JSON array of item ids a line, sessions in time order
  --test FILE      {"prefix": [...], "label": id} a line
  --sequence MODULE  also blend a sequence model: MODULE (a path or package) exports
                   trainSequenceModel(sessions, options) → { model } (libs/sequence's seam),
                   trained in the run on the tuning part, its epoch chosen on the validation
                   split, and tuned against (its blend weight is tuned too); then warm-started
                   over all of --train for the test (ADR 0068)
  --sequence-epochs N  most epochs of the tuning-part training (default: the module's; it stops
                   early when validation HR@20 stops improving)
  --sequence-refit-epochs N  epochs of the refit over all of --train (default 1; 0: none)
  --sequence-refit warm|scratch  warm (default): the tuned model warm-started for the refit
                   epochs; scratch: a new model trained over all of --train for as many epochs
                   as the tuned model kept (ADR 0069)
  --sequence-learning-rate R  the model's starting learning rate (default: the module's)
  --sequence-lr-decay G  the learning rate is multiplied by G after each epoch, the refit
                   continuing the schedule (default: the module's, constant; ADR 0069)
  --sequence-recent-share S  after the model's training, one more epoch over only the latest
                   share S (0 < S < 1) of its sessions, at a constant rate; kept only if it raises
                   the validation objective, and then applied after the refit too (ADR 0088)
  --sequence-recent-learning-rate R  that epoch's rate (default 0.002)
  --sequence-ensemble N  with --sequence-refit scratch: the test model is N models trained over
                   all of --train, seeds apart (each with the recency epoch if kept), their scores
                   averaged; MODULE must export ensembleSequenceModels(models) (default 1; ADR 0088)
  --no-tune        evaluate the default configuration as it is

Prints HR@20, MRR@20, HR@10, MRR@10, coverage (share of catalogue items in some top-20 list),
popularity share (share of recommended items among the 10% most-viewed) and the wall time; with
--json the last line is {"hr20", "mrr20", "hr10", "mrr10", "coverage", "popularityShare", "seconds", …} in %.`;

function read(flag: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`--${flag} ${file}: ${(error as Error).message}`, { cause: error });
  }
}

async function sequenceHook(spec: string, options: { epochs?: number; learningRate?: number; learningRateDecay?: number; onProgress?: (stage: string, done: number, total: number, note?: string) => void }): Promise<SequenceHook> {
  const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(spec)).href : spec;
  const mod = (await import(target)) as {
    trainSequenceModel?: (sessions: readonly (readonly string[])[], options: object) => Promise<{ model: SequenceModel; version?: string; report?: { bestEpoch?: number } }>;
    ensembleSequenceModels?: (models: readonly SequenceModel[]) => SequenceModel;
  };
  const train = mod.trainSequenceModel;
  if (typeof train !== 'function') throw new Error(`--sequence ${spec}: the module exports no trainSequenceModel(sessions, options)`);
  const ensemble = mod.ensembleSequenceModels;
  return {
    async train(sessions, request = {}) {
      const { model, version, report } = await train(sessions, { ...options, ...request });
      return { model, version: version ?? `sequence-${sessions.length}`, ...(typeof report?.bestEpoch === 'number' ? { epochs: report.bestEpoch } : {}) };
    },
    ...(typeof ensemble === 'function' ? { ensemble: (models: readonly SequenceModel[]) => ensemble(models) } : {}),
  };
}

const f2 = (x: number) => x.toFixed(2);

function printResult(r: EvaluateResult): void {
  const t = r.test;
  console.log(`${bold('evaluate recs')}: ${r.trainSessions} training sessions, ${t.cases} test cases; tuned on ${r.validationCases} validation cases from the last ${r.trainSessions - r.tuneSessions} training sessions`);
  console.log(`  HR@20 ${f2(t.hr20)}   MRR@20 ${f2(t.mrr20)}   HR@10 ${f2(t.hr10)}   MRR@10 ${f2(t.mrr10)}   coverage ${f2(t.coverage)}%   popularity share ${f2(t.popularityShare)}%`);
  if (r.validation) console.log(`  validation: HR@20 ${f2(r.validation.hr20)}   MRR@20 ${f2(r.validation.mrr20)}`);
  const recent = r.tuning.find((t) => t.parameter === 'sequenceRecent');
  if (recent) console.log(`  recency epoch (latest ${recent.value}): validation HR@20 ${f2(recent.hr20)} MRR@20 ${f2(recent.mrr20)}, ${recent.kept ? 'kept, and applied after the refit' : 'refused: the model without it is tested'}`);
  const kept = r.tuning.filter((t) => t.kept && t.parameter !== 'start' && t.parameter !== 'sequenceRecent');
  if (r.tuning.length > 0) {
    const start = r.tuning[0]!;
    console.log(`  tuning (${r.tuning.length - 1} configurations on validation): start HR@20 ${f2(start.hr20)} MRR@20 ${f2(start.mrr20)}; kept ${kept.map((t) => `${t.parameter}=${t.value} (${f2(t.hr20)}/${f2(t.mrr20)})`).join(', ') || 'none'}`);
  }
  console.log(`  rank config: ${JSON.stringify(r.rank)}`);
  console.log(`  ${r.seconds.total.toFixed(1)} s (tune ${r.seconds.tune.toFixed(1)}, index ${r.seconds.build.toFixed(1)}, test ${r.seconds.test.toFixed(1)})`);
}

export async function runEvaluateRecs(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    train: { type: 'string' },
    test: { type: 'string' },
    sequence: { type: 'string' },
    'sequence-epochs': { type: 'string' },
    'sequence-refit-epochs': { type: 'string' },
    'sequence-refit': { type: 'string' },
    'sequence-learning-rate': { type: 'string' },
    'sequence-lr-decay': { type: 'string' },
    'sequence-recent-share': { type: 'string' },
    'sequence-recent-learning-rate': { type: 'string' },
    'sequence-ensemble': { type: 'string' },
    'no-tune': { type: 'boolean' },
  });
  if (positionals.length !== 1 || !values.train || !values.test || values.help) {
    info(EVALUATE_RECS_HELP);
    return 2;
  }
  const started = performance.now();
  const train = parseSessions(read('train', values.train), values.train);
  const test = parseCases(read('test', values.test), values.test);
  // One bar per stage and total (the tuning first reports its sequence training as 0 of 1, then its configurations).
  const bars = new Map<string, Progress>();
  let lastBar: Progress | undefined;
  const onProgress = (stage: string, done: number, total: number, note?: string) => {
    const key = `${stage}\u0000${total}`;
    let bar = bars.get(key);
    if (!bar) bars.set(key, (bar = new Progress(stage.padEnd(6), total)));
    if (bar !== lastBar) lastBar?.done();
    lastBar = bar;
    bar.update(done, note ?? '');
  };
  let epochs: number | undefined;
  if (values['sequence-epochs'] !== undefined) {
    epochs = Number(values['sequence-epochs']);
    if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--sequence-epochs ${values['sequence-epochs']}: expected a whole number of at least 1`);
    if (!values.sequence) throw new Error('--sequence-epochs needs --sequence MODULE');
  }
  let refitEpochs: number | undefined;
  if (values['sequence-refit-epochs'] !== undefined) {
    refitEpochs = Number(values['sequence-refit-epochs']);
    if (!Number.isInteger(refitEpochs) || refitEpochs < 0) throw new Error(`--sequence-refit-epochs ${values['sequence-refit-epochs']}: expected a whole number of at least 0`);
    if (!values.sequence) throw new Error('--sequence-refit-epochs needs --sequence MODULE');
  }
  const refitMode = values['sequence-refit'];
  if (refitMode !== undefined) {
    if (refitMode !== 'warm' && refitMode !== 'scratch') throw new Error(`--sequence-refit ${refitMode}: expected warm or scratch`);
    if (!values.sequence) throw new Error('--sequence-refit needs --sequence MODULE');
  }
  const rates: { learningRate?: number; learningRateDecay?: number } = {};
  for (const [flag, key, ok, expected] of [
    ['sequence-learning-rate', 'learningRate', (x: number) => x > 0, 'a positive number'],
    ['sequence-lr-decay', 'learningRateDecay', (x: number) => x > 0 && x <= 1, 'a number in (0, 1]'],
  ] as const) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const x = Number(raw);
    if (!Number.isFinite(x) || !ok(x)) throw new Error(`--${flag} ${raw}: expected ${expected}`);
    if (!values.sequence) throw new Error(`--${flag} needs --sequence MODULE`);
    rates[key] = x;
  }
  let recent: RecentEpochOptions | undefined;
  const recentShare = values['sequence-recent-share'];
  const recentRate = values['sequence-recent-learning-rate'];
  if (recentShare !== undefined) {
    const share = Number(recentShare);
    if (!(share > 0 && share < 1)) throw new Error(`--sequence-recent-share ${recentShare}: expected a number in (0, 1)`);
    if (!values.sequence) throw new Error('--sequence-recent-share needs --sequence MODULE');
    const learningRate = recentRate === undefined ? 0.002 : Number(recentRate);
    if (!(learningRate > 0 && Number.isFinite(learningRate))) throw new Error(`--sequence-recent-learning-rate ${recentRate}: expected a positive number`);
    recent = { share, learningRate };
  } else if (recentRate !== undefined) throw new Error('--sequence-recent-learning-rate needs --sequence-recent-share S');
  let members: number | undefined;
  if (values['sequence-ensemble'] !== undefined) {
    members = Number(values['sequence-ensemble']);
    if (!Number.isInteger(members) || members < 1) throw new Error(`--sequence-ensemble ${values['sequence-ensemble']}: expected a whole number of at least 1`);
    if (!values.sequence) throw new Error('--sequence-ensemble needs --sequence MODULE');
    if (members > 1 && refitMode !== 'scratch') throw new Error('--sequence-ensemble needs --sequence-refit scratch');
  }
  const result = await evaluateRecs(train, test, {
    noTune: values['no-tune'] === true,
    ...(refitEpochs === undefined ? {} : { refitEpochs }),
    ...(refitMode === undefined ? {} : { refit: refitMode }),
    ...(recent ? { recent } : {}),
    ...(members === undefined ? {} : { members }),
    ...(values.sequence ? { sequence: await sequenceHook(values.sequence, { ...(epochs ? { epochs } : {}), ...rates, onProgress: (stage, done, total, note) => onProgress(`seq ${stage}`, done, total, note) }) } : {}),
    onProgress,
  });
  lastBar?.done();
  const seconds = (performance.now() - started) / 1000;
  const t = result.test;
  printResult(result);
  if (values.json) {
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    const v = result.validation;
    const recentStep = result.tuning.find((s) => s.parameter === 'sequenceRecent');
    printJson({
      hr20: r4(t.hr20), mrr20: r4(t.mrr20), hr10: r4(t.hr10), mrr10: r4(t.mrr10), coverage: r4(t.coverage), popularityShare: r4(t.popularityShare), seconds: Math.round(seconds * 10) / 10, cases: t.cases,
      ...(v ? { validation: { hr20: r4(v.hr20), mrr20: r4(v.mrr20) } } : {}),
      ...(recentStep ? { sequenceRecent: { kept: recentStep.kept, validation: { hr20: r4(recentStep.hr20), mrr20: r4(recentStep.mrr20) } } } : {}),
      stageSeconds: result.seconds, rank: result.rank,
    });
  }
  return 0;
}

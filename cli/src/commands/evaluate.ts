import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBackendChoice } from '@clickwise/tf';
import { writeReport } from '@clickwise/evaluation';
import { fileSource, summaryJson, trainingReport, trainPurchaseModel, type PurchaseTrainingResult, type TrainingStage } from '@clickwise/training';
import { columnFlagOptions, columnMappingFromFlags } from '../column-flags.js';
import { bold, info, parseCommandArgs, printJson, Progress, type Command } from '../command.js';
import { settings } from '../settings.js';
import { EVALUATE_RECS_HELP, runEvaluateRecs } from './evaluate-recs.js';

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${value}"`);
  return n;
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const withInterval = (e: { value: number; low: number; high: number }) => `${f3(e.value)} [${f3(e.low)}, ${f3(e.high)}]`;

function printResult(result: PurchaseTrainingResult): void {
  const m = result.metrics;
  const s = result.split;
  console.log(
    `${bold('purchase propensity')}: ${result.model.model} on ${result.backend}; train ${s.train.examples} (${s.train.positives} positive), ` +
      `validation ${s.validation.examples} (${s.validation.positives}), test ${s.test.examples} (${s.test.positives}; ${m.sessions} sessions, ${m.positiveSessions} purchasing)`,
  );
  console.log(`  split (${s.bounds.rule}): validation from ${new Date(s.bounds.validationFromMs).toISOString()}, test from ${new Date(s.bounds.testFromMs).toISOString()}`);
  console.log('  test metrics, 95% session-bootstrap intervals:');
  console.log(`    ${'model'.padEnd(30)} ${'ROC-AUC'.padEnd(22)} ${'PR-AUC'.padEnd(22)} ${'log loss'.padEnd(22)} ECE`);
  console.log(`    ${result.model.model.padEnd(30)} ${withInterval(m.roc_auc).padEnd(22)} ${withInterval(m.pr_auc).padEnd(22)} ${withInterval(m.log_loss).padEnd(22)} ${withInterval(m.ece)}`);
  for (const [name, b] of Object.entries(result.baselines)) {
    console.log(`    ${name.padEnd(30)} ${withInterval(b.roc_auc).padEnd(22)} ${withInterval(b.pr_auc).padEnd(22)} ${withInterval(b.log_loss).padEnd(22)} ${withInterval(b.ece)}`);
  }
  const rate = result.calibration.baseRate;
  console.log(`  calibration (${result.calibration.method} on validation${rate.anchored ? `, anchored to the pooled base rate ${(100 * rate.pooled).toFixed(1)} % (validation ${(100 * rate.validation).toFixed(1)} %)` : ''}): test ECE ${f3(result.calibration.eceBefore)} before → ${f3(result.calibration.eceAfter)} after`);
  console.log(`  precision at top 1% ${withInterval(m.precision_at_1pct)}, top 5% ${withInterval(m.precision_at_5pct)}`);
  console.log(`  candidates (validation ROC-AUC / PR-AUC): ${result.candidates.map((c) => `${c.name} ${c.validationRocAuc.toFixed(3)}/${c.validationPrAuc.toFixed(3)}`).join(', ')}`);
  console.log(`  ${result.seconds.total.toFixed(1)} s (replay ${result.seconds.replay.toFixed(1)}, train ${result.seconds.train.toFixed(1)}, evaluate ${result.seconds.evaluate.toFixed(1)})`);
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'evaluate the purchase-propensity model (purchase) or the recommender (recs) offline',
  help: `Usage: clickwise evaluate purchase --events FILE [--format retailrocket | column flags] [options] [--json]

Replays FILE (mapped as \`clickwise replay\` maps it) through the offline feature executor into
point-in-time examples (one per non-purchase event; label: the session purchases later), splits
them by time (last 2 days test, the day before validation, the rest training; shorter files in
proportion 4/1/2, ADR 0052), trains the logistic-regression and MLP candidates with TensorFlow.js,
picks one and calibrates it on validation, and scores the test part beside the baselines (rule
"added to cart in this session", LR on the shopper's prior views and purchases). Figures come
with 95% intervals from a bootstrap over sessions.

Source:
  --events FILE             the export (CSV/TSV)
  --format retailrocket     or the column flags of \`clickwise replay\`:
  --time-col C --time-unit s|ms|iso   --session-col C   --type-col C   --type-map a=b,c=d
  --user-col C  --item-col C  --category-col C  --price-col C  --delimiter D  --no-header
                            without --session-col, sessions are cut by inactivity (needs --user-col)
  --session-gap MIN         inactivity that ends a session, minutes (default 30)
  --limit N                 only the first N events after sorting by time

Run:
  --backend auto|native|wasm|cpu   TensorFlow.js backend (default $TF_BACKEND, else auto)
  --bootstrap N             bootstrap samples for the intervals (default 200)
  --report DIR              where report.md, roc.png, calibration.png, model.json and summary.json go
                            (default .clickwise/reports/<run>)

Prints a progress bar (stderr) while it replays and trains, then the metrics. With --json the last
line is {"roc_auc", "pr_auc", "log_loss", "ece", "baselines": {name: {"roc_auc", "pr_auc"}}, "seconds", …}.

${EVALUATE_RECS_HELP}`,
  async run(argv) {
    if (argv[0] === 'recs') return runEvaluateRecs(argv);
    const { values, positionals } = parseCommandArgs(argv, {
      ...columnFlagOptions,
      events: { type: 'string' },
      'session-gap': { type: 'string' },
      limit: { type: 'string' },
      backend: { type: 'string' },
      bootstrap: { type: 'string' },
      report: { type: 'string' },
    });
    const [what, ...extra] = positionals;
    if (what !== 'purchase' || extra.length > 0 || !values.events) {
      info(this.help);
      return 2;
    }
    const file = values.events;
    const { mapping, delimiter } = columnMappingFromFlags(values, file);
    const backend = parseBackendChoice(values.backend ?? process.env.TF_BACKEND, '--backend');
    const sessionGapMs = positive('session-gap', values['session-gap'], 30) * 60_000;
    const limit = values.limit === undefined ? undefined : Math.floor(positive('limit', values.limit, 1));
    const reps = values.bootstrap === undefined ? 200 : Math.floor(Number(values.bootstrap));
    if (!Number.isFinite(reps) || reps < 0) throw new Error(`--bootstrap must be a number of samples (0 for none), got "${values.bootstrap}"`);

    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`--events ${file}: ${(error as Error).message}`, { cause: error });
    }
    const source = fileSource(text, { file, mapping, delimiter, header: !values['no-header'], sessionGapMs, ...(limit === undefined ? {} : { limit }) });
    const skipped = Object.entries(source.skipped);
    if (!values.json) {
      info(`${bold('evaluate purchase')} ${file}: ${source.rows} rows${skipped.length ? ` (${skipped.map(([r, n]) => `${n} skipped: ${r}`).join('; ')})` : ''}`);
    }
    const bars = new Map<TrainingStage, Progress>();
    const result = await trainPurchaseModel(source, {
      backend,
      bootstrapReps: reps,
      openSessionMs: sessionGapMs,
      onProgress: (stage, done, total, note) => {
        let bar = bars.get(stage);
        if (!bar) {
          for (const b of bars.values()) b.done();
          bars.set(stage, (bar = new Progress(stage.padEnd(6), total)));
        }
        bar.update(done, note ?? '');
      },
    });
    for (const b of bars.values()) b.done();

    const run = `purchase-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const dir = values.report ?? join(settings.state, 'reports', run);
    mkdirSync(dir, { recursive: true });
    const written = writeReport(dir, trainingReport(result, { source: file }));
    writeFileSync(join(dir, 'model.json'), result.artifact);
    writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(summaryJson(result), null, 2)}\n`);
    if (values.json) printJson({ ...summaryJson(result), report: dir });
    else {
      printResult(result);
      console.log(`  report: ${written.markdown}${written.roc ? `, ${written.roc}` : ''}${written.calibration ? `, ${written.calibration}` : ''}`);
    }
    return 0;
  },
};

/**
 * `clickwise bench refit-backtest [--folds N] [--json]`: the refit of the chosen purchase-propensity
 * candidate on training + validation (ADR 0029) backtested on the RetailRocket week's days before
 * its test days (which are dropped before anything is trained): per fold, the whole pipeline with
 * and without the refit, both scored on the fold's pseudo-test day. No Kafka or Redis.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { retailRocketMapping } from '@clickwise/clickstream-files';
import { repoRoot } from '@clickwise/testing';
import { backtestRefit, buildTrainingSet, fileSource, type RefitBacktestFold } from '@clickwise/training';
import { describeHardware, hardware, report } from './common.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, folds: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('clickwise bench refit-backtest [--folds N (default 3)] [--json]');
  process.exit(0);
}
const file = join(repoRoot(), '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');
const hw = hardware();
const started = performance.now();
const set = await buildTrainingSet(fileSource(readFileSync(file, 'utf8'), { file, mapping: retailRocketMapping, delimiter: '\t' }));
const folds = await backtestRefit(set, { folds: Number(values.folds ?? 3) });
type Figures = RefitBacktestFold['trainOnly'];
const cell = (f: Figures) => `${f.roc_auc.toFixed(3)} / ${f.pr_auc.toFixed(3)} / ${f.log_loss.toFixed(4)} / ${f.ece.toFixed(4)}`;
const rows = folds.map((f) => ({
  'pseudo-test day': f.testFrom.slice(0, 10),
  'examples train / validation / test (positive)': `${f.examples.train} / ${f.examples.validation} / ${f.examples.test} (${f.examples.testPositives})`,
  'training only: ROC-AUC / PR-AUC / log loss / ECE': cell(f.trainOnly),
  'refit: ROC-AUC / PR-AUC / log loss / ECE': cell(f.refit),
  'refit epochs': f.refit.epochs,
}));
const mean = (pick: (f: RefitBacktestFold) => Figures, k: keyof Figures) => folds.reduce((s, f) => s + pick(f)[k], 0) / Math.max(1, folds.length);
const means = (pick: (f: RefitBacktestFold) => Figures) => ({ roc_auc: mean(pick, 'roc_auc'), pr_auc: mean(pick, 'pr_auc'), log_loss: mean(pick, 'log_loss'), ece: mean(pick, 'ece') });
const summary = { trainOnly: means((f) => f.trainOnly), refit: means((f) => f.refit) };
report(
  `bench refit-backtest — RetailRocket week, ${folds.length} folds before the test days (${((performance.now() - started) / 1000).toFixed(0)} s); ${describeHardware(hw)}\n` +
    `mean over folds (ROC-AUC / PR-AUC / log loss / ECE): training only ${cell(summary.trainOnly)}, refit ${cell(summary.refit)}`,
  rows,
  { hardware: hw, folds, mean: summary },
  values.json === true,
);

/**
 * `clickwise bench calibration-backtest [--folds N] [--json]`: the base-rate options of the Platt
 * calibration (ADR 0065) backtested on the RetailRocket week's days before its test days (which
 * are dropped before anything is trained): per fold, the pseudo-test day's ECE with the plain fit
 * on the validation day and with the intercept anchored to the pooled training + validation
 * positive share. No Kafka or Redis.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { retailRocketMapping } from '@clickwise/clickstream-files';
import { repoRoot } from '@clickwise/testing';
import { backtestBaseRate, buildTrainingSet, fileSource } from '@clickwise/training';
import { describeHardware, hardware, report } from './common.js';

const { values } = parseArgs({ options: { json: { type: 'boolean' }, folds: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help) {
  console.log('clickwise bench calibration-backtest [--folds N (default 3)] [--json]');
  process.exit(0);
}
const file = join(repoRoot(), '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');
const hw = hardware();
const started = performance.now();
const set = await buildTrainingSet(fileSource(readFileSync(file, 'utf8'), { file, mapping: retailRocketMapping, delimiter: '\t' }));
const folds = await backtestBaseRate(set, { folds: Number(values.folds ?? 3) });
const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const rows = folds.map((f) => ({
  'pseudo-test day': f.testFrom.slice(0, 10),
  'positives train / validation / test': `${pct(f.positiveShare.train)} / ${pct(f.positiveShare.validation)} / ${pct(f.positiveShare.test)}`,
  'ECE plain (validation rate)': f.ece.validation.toFixed(4),
  'ECE anchored (pooled rate)': f.ece.pooled.toFixed(4),
}));
const mean = (k: 'validation' | 'pooled') => folds.reduce((s, f) => s + f.ece[k], 0) / Math.max(1, folds.length);
report(
  `bench calibration-backtest — RetailRocket week, ${folds.length} folds before the test days (${((performance.now() - started) / 1000).toFixed(0)} s); ${describeHardware(hw)}\n` +
    `mean ECE: plain ${mean('validation').toFixed(4)}, anchored ${mean('pooled').toFixed(4)}`,
  rows,
  { hardware: hw, folds, meanEce: { validation: mean('validation'), pooled: mean('pooled') } },
  values.json === true,
);

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RocPoint } from './binary.js';
import { BINARY_METRIC_NAMES, type BinaryEvaluation, type BinaryMetricName, type Interval } from './bootstrap.js';
import type { ReliabilityBin } from './calibration.js';
import { renderCalibrationPng, renderRocPng } from './plot/charts.js';

/** One model or baseline evaluated on the test split. */
export interface ReportModel {
  /** e.g. `mlp-v3`, `logistic regression (prior views, purchases)`, `rule: added to cart`. */
  readonly name: string;
  /** Baselines are listed after the models and marked as such. */
  readonly kind: 'model' | 'baseline';
  /** The model chosen on validation (the champion candidate); marked in the table. */
  readonly chosen?: boolean;
  /** From evaluateBinary on the test split. */
  readonly metrics: BinaryEvaluation;
  /** From reliabilityCurve on the test split; the calibration table and plot use it. */
  readonly reliability?: readonly ReliabilityBin[];
  /** From rocCurve on the test split; the ROC plot uses it. */
  readonly roc?: readonly RocPoint[];
  /** Free text shown under the table (hyper-parameters, calibration method…). */
  readonly notes?: string;
}

/** One split of the data set. */
export interface ReportSplit {
  /** `train`, `validation`, `test`. */
  readonly name: string;
  readonly rows: number;
  readonly positives: number;
  /** Distinct sessions, when known. */
  readonly groups?: number;
  /** Event-time window of the split (ISO 8601), when known. */
  readonly from?: string;
  readonly to?: string;
}

/** What a training run reports; every field but the title, splits and models is optional. */
export interface TrainingReport {
  readonly title: string;
  /** When the run happened (ISO 8601). */
  readonly createdAt?: string;
  /** The events the run read: file or topic, and their event-time window. */
  readonly data?: { readonly source?: string; readonly from?: string; readonly to?: string };
  readonly splits: readonly ReportSplit[];
  readonly models: readonly ReportModel[];
  /** TensorFlow.js backend actually used (`tensorflow`, `wasm`, `cpu`). */
  readonly backend?: string;
  /** Named durations in seconds (replay, train, evaluate…). */
  readonly timings?: readonly { readonly name: string; readonly seconds: number }[];
  /** Targets to compare against, e.g. `{ roc_auc: { min: 0.87 }, ece: { max: 0.02 } }`. */
  readonly targets?: Partial<Record<BinaryMetricName, { readonly min?: number; readonly max?: number }>>;
  readonly notes?: readonly string[];
}

const LABELS: Record<BinaryMetricName, string> = {
  roc_auc: 'ROC-AUC',
  pr_auc: 'PR-AUC (AP)',
  log_loss: 'log loss',
  ece: 'ECE',
  brier: 'Brier',
  precision_at_1pct: 'P@1%',
  precision_at_5pct: 'P@5%',
};

/** The plot files a report links to. */
export const ROC_PNG = 'roc.png';
export const CALIBRATION_PNG = 'calibration.png';

const fmt = (v: number, digits = 3): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const cell = (i: Interval): string => `${fmt(i.estimate)} [${fmt(i.low)}, ${fmt(i.high)}]`;
const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const count = (n: number): string => n.toLocaleString('en-US');

function ordered(models: readonly ReportModel[]): ReportModel[] {
  return [...models.filter((m) => m.kind === 'model'), ...models.filter((m) => m.kind === 'baseline')];
}

function label(m: ReportModel): string {
  return `${esc(m.name)}${m.chosen === true ? ' **(chosen)**' : ''}${m.kind === 'baseline' ? ' _(baseline)_' : ''}`;
}

/**
 * The run's report as markdown: data window, splits, a table of every model and baseline with
 * each metric and its bootstrap interval, targets met or missed, a calibration table per model,
 * links to roc.png and calibration.png (when some model has ROC points / reliability bins), the
 * backend and timings, notes.
 */
export function renderMarkdownReport(report: TrainingReport): string {
  const out: string[] = [`# ${report.title}`, ''];
  if (report.createdAt !== undefined) out.push(`Run at ${report.createdAt}.`, '');
  if (report.data !== undefined) {
    const { source, from, to } = report.data;
    const window = from !== undefined || to !== undefined ? ` from ${from ?? '?'} to ${to ?? '?'}` : '';
    out.push(`Data: ${source !== undefined ? `\`${source}\`` : 'events'}${window}.`, '');
  }
  out.push('## Splits', '', '| split | window | rows | positives | positive share | sessions |', '|---|---|---:|---:|---:|---:|');
  for (const s of report.splits) {
    const window = s.from !== undefined || s.to !== undefined ? `${s.from ?? '?'} – ${s.to ?? '?'}` : '';
    const share = s.rows > 0 ? `${((100 * s.positives) / s.rows).toFixed(2)}%` : 'n/a';
    out.push(`| ${esc(s.name)} | ${window} | ${count(s.rows)} | ${count(s.positives)} | ${share} | ${s.groups === undefined ? '' : count(s.groups)} |`);
  }
  out.push('');

  const models = ordered(report.models);
  const first = models[0]?.metrics;
  out.push('## Test metrics', '');
  if (first !== undefined) {
    const b = first.bootstrap;
    out.push(
      `Each figure with its ${Math.round(b.confidence * 100)}% interval from a bootstrap over sessions ` +
        `(${count(b.iterations)} resamples, seed ${b.seed}; percentile interval). On the test split: ` +
        `${count(first.rows)} rows, ${count(first.positives)} positives (${(100 * first.positive_share).toFixed(2)}%), ` +
        `${count(first.groups)} sessions of which ${count(first.positive_groups)} purchase.`,
      '',
    );
  }
  out.push(`| model | ${BINARY_METRIC_NAMES.map((n) => LABELS[n]).join(' | ')} |`, `|---|${BINARY_METRIC_NAMES.map(() => '---').join('|')}|`);
  for (const m of models) out.push(`| ${label(m)} | ${BINARY_METRIC_NAMES.map((n) => cell(m.metrics[n])).join(' | ')} |`);
  out.push('');
  const skipped = models.flatMap((m) => BINARY_METRIC_NAMES.filter((n) => m.metrics[n].skipped > 0).map((n) => `${m.name} ${n}: ${m.metrics[n].skipped}`));
  if (skipped.length > 0) out.push(`Resamples skipped (lacking a class): ${skipped.join('; ')}.`, '');
  out.push(
    'ROC-AUC: Mann–Whitney, ties count half. PR-AUC: average precision with tied scores grouped. ' +
      'ECE: 10 uniform bins, weighted by rows. P@k%: precision in the top ⌈k%·n⌉ scores, ties at the cut by expectation.',
    '',
  );

  if (report.targets !== undefined) {
    out.push('### Targets', '', '| model | metric | target | value | 95% interval | met |', '|---|---|---|---:|---|---|');
    for (const m of models.filter((x) => x.kind === 'model')) {
      for (const n of BINARY_METRIC_NAMES) {
        const t = report.targets[n];
        if (t === undefined) continue;
        const v = m.metrics[n];
        const met = (t.min === undefined || v.estimate >= t.min) && (t.max === undefined || v.estimate <= t.max);
        const target = [t.min !== undefined ? `≥ ${t.min}` : '', t.max !== undefined ? `≤ ${t.max}` : ''].filter((x) => x !== '').join(', ');
        out.push(`| ${esc(m.name)} | ${LABELS[n]} | ${target} | ${fmt(v.estimate)} | [${fmt(v.low)}, ${fmt(v.high)}] | ${met ? 'yes' : '**no**'} |`);
      }
    }
    out.push('');
  }

  const withNotes = models.filter((m) => m.notes !== undefined && m.notes !== '');
  for (const m of withNotes) out.push(`- ${esc(m.name)}: ${m.notes!}`);
  if (withNotes.length > 0) out.push('');

  if (models.some((m) => m.roc !== undefined)) out.push('## ROC', '', `![ROC curves](${ROC_PNG})`, '');
  const calibrated = models.filter((m) => m.reliability !== undefined);
  if (calibrated.length > 0) {
    out.push('## Calibration', '', `![Reliability diagram](${CALIBRATION_PNG})`, '');
    for (const m of calibrated) {
      out.push(`**${esc(m.name)}** (ECE ${fmt(m.metrics.ece.estimate, 4)})`, '', '| bin | rows | positives | mean predicted | observed rate | gap |', '|---|---:|---:|---:|---:|---:|');
      for (const b of m.reliability!) {
        out.push(
          `| ${fmt(b.lower)}–${fmt(b.upper)} | ${count(b.count)} | ${count(b.positives)} | ${fmt(b.meanPredicted, 4)} | ${fmt(b.observedRate, 4)} | ${fmt(b.observedRate - b.meanPredicted, 4)} |`,
        );
      }
      out.push('');
    }
  }

  out.push('## Run', '');
  if (report.backend !== undefined) out.push(`Backend: \`${report.backend}\`.`, '');
  if (report.timings !== undefined && report.timings.length > 0) {
    out.push('| step | seconds |', '|---|---:|');
    for (const t of report.timings) out.push(`| ${esc(t.name)} | ${fmt(t.seconds, 2)} |`);
    out.push('');
  }
  if (report.notes !== undefined && report.notes.length > 0) {
    out.push('## Notes', '');
    for (const n of report.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** What writeReport wrote. */
export interface WrittenReport {
  readonly markdown: string;
  readonly roc?: string;
  readonly calibration?: string;
}

/**
 * Writes `report.md` into `dir` (created if missing), and `roc.png` / `calibration.png` from the
 * models that carry ROC points / reliability bins. Returns the paths written.
 */
export function writeReport(dir: string, report: TrainingReport): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const models = ordered(report.models);
  const markdown = join(dir, 'report.md');
  writeFileSync(markdown, renderMarkdownReport(report));
  const rocCurves = models.flatMap((m) => (m.roc === undefined ? [] : [{ name: m.name, points: m.roc, auc: m.metrics.roc_auc.estimate }]));
  const calCurves = models.flatMap((m) => (m.reliability === undefined ? [] : [{ name: m.name, bins: m.reliability }]));
  let roc: string | undefined;
  let calibration: string | undefined;
  if (rocCurves.length > 0) {
    roc = join(dir, ROC_PNG);
    writeFileSync(roc, renderRocPng(rocCurves, { title: 'ROC curves, test split' }));
  }
  if (calCurves.length > 0) {
    calibration = join(dir, CALIBRATION_PNG);
    writeFileSync(calibration, renderCalibrationPng(calCurves, { title: 'Calibration, test split' }));
  }
  return { markdown, ...(roc !== undefined ? { roc } : {}), ...(calibration !== undefined ? { calibration } : {}) };
}

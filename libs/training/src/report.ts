import { reliabilityCurve, rocCurve, type ReportModel, type TrainingReport } from '@clickwise/evaluation';
import type { Estimate } from './bootstrap.js';
import type { PurchaseTrainingResult } from './pipeline.js';
import type { TrainingSetStats } from './training-set.js';

const day = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : '—');

/** The refit the chosen candidate had (ADR 0029), from the artifact's info. */
function refitOf(result: PurchaseTrainingResult): { epochs: number; examples: number } | undefined {
  return result.model.info.refit as { epochs: number; examples: number } | undefined;
}

/** The `--json` line of `clickwise evaluate purchase` (snake_case metrics, point values). */
export function summaryJson(result: PurchaseTrainingResult): Record<string, unknown> {
  const m = result.metrics;
  const interval = (e: Estimate) => [e.low, e.high];
  return {
    model: result.model.model,
    backend: result.backend,
    roc_auc: m.roc_auc.value,
    pr_auc: m.pr_auc.value,
    log_loss: m.log_loss.value,
    ece: m.ece.value,
    ece_uncalibrated: result.calibration.eceBefore,
    calibration: result.calibration.method,
    calibration_base_rate: result.calibration.baseRate,
    ...(result.calibration.crossFittedLogLoss ? { calibration_cross_fitted_log_loss: result.calibration.crossFittedLogLoss } : {}),
    chosen: result.model.info.chosen,
    ...(refitOf(result) ? { refit: refitOf(result) } : {}),
    precision_at_1pct: m.precision_at_1pct.value,
    precision_at_5pct: m.precision_at_5pct.value,
    intervals: { roc_auc: interval(m.roc_auc), pr_auc: interval(m.pr_auc), log_loss: interval(m.log_loss), ece: interval(m.ece) },
    baselines: Object.fromEntries(
      Object.entries(result.baselines).map(([name, b]) => [name, { roc_auc: b.roc_auc.value, pr_auc: b.pr_auc.value, intervals: { roc_auc: interval(b.roc_auc), pr_auc: interval(b.pr_auc) } }]),
    ),
    candidates: result.candidates.map((c) => ({ name: c.name, validation_roc_auc: c.validationRocAuc, validation_pr_auc: c.validationPrAuc })),
    split: {
      rule: result.split.bounds.rule,
      validation_from: day(result.split.bounds.validationFromMs),
      test_from: day(result.split.bounds.testFromMs),
      train: { examples: result.split.train.examples, positives: result.split.train.positives },
      validation: { examples: result.split.validation.examples, positives: result.split.validation.positives },
      test: { examples: result.split.test.examples, positives: result.split.test.positives, sessions: m.sessions, purchasing_sessions: m.positiveSessions },
      // Clicks of sessions still open at the log's end: no label yet, so no example (ADR 0061).
      open_examples: result.split.test.openExamples,
      gap_ms: result.split.bounds.gapMs ?? 0,
    },
    feature_definitions_version: result.featureDefinitionsVersion,
    seconds: result.seconds.total,
  };
}

/** The run as libs/evaluation's report (markdown, ROC and calibration plots: writeReport). */
export function trainingReport(result: PurchaseTrainingResult, options: { source: string }): TrainingReport {
  const s = result.split;
  const t = result.test;
  const curves = (scores: ArrayLike<number>) => ({ roc: rocCurve(scores, t.labels), reliability: reliabilityCurve(scores, t.labels) });
  const models: ReportModel[] = [
    {
      name: `${result.model.model} (calibrated)`,
      kind: 'model',
      chosen: true,
      metrics: result.metrics.evaluation,
      ...curves(t.scores),
      notes:
        `Chosen on validation ROC-AUC among ${result.candidates.map((c) => `${c.name} ${c.validationRocAuc.toFixed(3)}/${c.validationPrAuc.toFixed(3)} (best epochs ${c.bestEpochs.join(', ')})`).join('; ')}. ` +
        (refitOf(result) ? `Then refit on training + validation (${refitOf(result)!.examples} examples) for ${refitOf(result)!.epochs} epochs (ADR 0029); calibrated on the validation logits of the networks trained without validation. ` : '') +
        `Calibration ${result.calibration.method}${result.calibration.crossFittedLogLoss ? ` (cross-fitted validation log loss: Platt ${result.calibration.crossFittedLogLoss.platt.toFixed(4)}, isotonic ${result.calibration.crossFittedLogLoss.isotonic.toFixed(4)})` : ''}; ` +
        `Platt a = ${result.calibration.parameters.a.toFixed(4)}, b = ${result.calibration.parameters.b.toFixed(4)} fitted on validation${result.calibration.baseRate.anchored ? `, b anchored to the pooled base rate ${(100 * result.calibration.baseRate.pooled).toFixed(1)} % (validation ${(100 * result.calibration.baseRate.validation).toFixed(1)} %)` : ''}; test ECE ${result.calibration.eceBefore.toFixed(4)} before, ${result.calibration.eceAfter.toFixed(4)} after.`,
    },
    ...Object.entries(result.baselines).map(([name, m]): ReportModel => ({ name, kind: 'baseline', metrics: m.evaluation, ...curves(t.baselineScores[name]!) })),
  ];
  const split = (name: string, st: TrainingSetStats) => ({ name, rows: st.examples, positives: st.positives, groups: st.sessions, from: day(st.firstTimeMs), to: day(st.lastTimeMs) });
  return {
    title: `Purchase propensity — ${result.model.model}`,
    createdAt: result.model.createdAt,
    data: { source: options.source, from: day(s.train.firstTimeMs), to: day(s.test.lastTimeMs) },
    splits: [split('train', s.train), split('validation', s.validation), split('test', s.test)],
    models,
    backend: result.backend,
    timings: Object.entries(result.seconds).map(([name, seconds]) => ({ name, seconds })),
    targets: { roc_auc: { min: 0.87 }, pr_auc: { min: 0.25 }, ece: { max: 0.02 } },
    notes: [
      `Split rule ${s.bounds.rule} (ADR 0052): validation from ${day(s.bounds.validationFromMs)}, test from ${day(s.bounds.testFromMs)}; the test part is scored once, never used to choose.`,
      `${s.test.openExamples} clicks of sessions still open at the log's end (no purchase after them yet, fewer than 30 min of log after their session's last event) have no label and give no example.`,
      `Test: ${result.metrics.sessions} sessions, ${result.metrics.positiveSessions} of them with a later purchase; intervals are 95% bootstrap over sessions.`,
      `Feature definitions ${result.featureDefinitionsVersion}.`,
    ],
  };
}

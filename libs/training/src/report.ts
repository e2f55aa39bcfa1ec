import type { Estimate, BinaryMetrics } from './bootstrap.js';
import type { PurchaseTrainingResult } from './pipeline.js';

const fmt = (e: Estimate, digits = 3) => (Number.isFinite(e.value) ? `${e.value.toFixed(digits)} [${e.low.toFixed(digits)}, ${e.high.toFixed(digits)}]` : '—');
const day = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : '—');

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
    },
    feature_definitions_version: result.featureDefinitionsVersion,
    seconds: result.seconds.total,
  };
}

function row(name: string, m: BinaryMetrics): string {
  return `| ${name} | ${fmt(m.roc_auc)} | ${fmt(m.pr_auc)} | ${fmt(m.log_loss)} | ${fmt(m.ece)} | ${fmt(m.precision_at_1pct)} | ${fmt(m.precision_at_5pct)} |`;
}

/** The markdown report of one run (figures with 95% session-bootstrap intervals). */
export function markdownReport(result: PurchaseTrainingResult, options: { source: string; images?: { roc?: string; calibration?: string } }): string {
  const s = result.split;
  const lines = [
    `# Purchase propensity — ${result.model.model}`,
    '',
    `Source: \`${options.source}\`. Feature definitions ${result.featureDefinitionsVersion}; backend ${result.backend}; ${result.seconds.total.toFixed(1)} s ` +
      `(replay ${result.seconds.replay.toFixed(1)} s, train ${result.seconds.train.toFixed(1)} s, evaluate ${result.seconds.evaluate.toFixed(1)} s).`,
    '',
    '## Split (by event time, ADR 0052)',
    '',
    `Rule: ${s.bounds.rule}. Validation from ${day(s.bounds.validationFromMs)}, test from ${day(s.bounds.testFromMs)}.`,
    '',
    '| part | examples | positives | share | sessions |',
    '|---|---|---|---|---|',
    ...(['train', 'validation', 'test'] as const).map((k) => `| ${k} | ${s[k].examples} | ${s[k].positives} | ${(s[k].positives / Math.max(1, s[k].examples)).toFixed(4)} | ${s[k].sessions} |`),
    '',
    `Test: ${result.metrics.sessions} sessions, ${result.metrics.positiveSessions} with a later purchase.`,
    '',
    '## Test metrics (95% intervals: bootstrap over sessions)',
    '',
    '| model | ROC-AUC | PR-AUC | log loss | ECE | precision@1% | precision@5% |',
    '|---|---|---|---|---|---|---|',
    row(`**${result.model.model}** (calibrated)`, result.metrics),
    ...Object.entries(result.baselines).map(([name, m]) => row(name, m)),
    '',
    `Calibration: Platt (a = ${result.calibration.parameters.a.toFixed(4)}, b = ${result.calibration.parameters.b.toFixed(4)}) fitted on validation; ` +
      `test ECE ${result.calibration.eceBefore.toFixed(4)} before, ${result.calibration.eceAfter.toFixed(4)} after.`,
    '',
    '## Candidates (chosen on validation ROC-AUC; the test part is never used to choose)',
    '',
    '| candidate | validation ROC-AUC | validation PR-AUC | best epochs | train samples/s |',
    '|---|---|---|---|---|',
    ...result.candidates.map((c) => `| ${c.name} | ${c.validationRocAuc.toFixed(4)} | ${c.validationPrAuc.toFixed(4)} | ${c.bestEpochs.join(', ')} | ${Math.round(c.samplesPerSecond)} |`),
    '',
  ];
  if (options.images?.roc) lines.push(`![ROC](${options.images.roc})`, '');
  if (options.images?.calibration) lines.push(`![Calibration](${options.images.calibration})`, '');
  return lines.join('\n');
}

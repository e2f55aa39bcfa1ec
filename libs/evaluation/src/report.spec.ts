import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { rocCurve } from './binary.js';
import { evaluateBinary } from './bootstrap.js';
import { reliabilityCurve } from './calibration.js';
import { renderMarkdownReport, writeReport, type TrainingReport } from './report.js';
import { decodePng } from './testing/png-decode.js';
import { randomScored } from './testing/reference.js';

function sampleReport(): TrainingReport {
  const { scores, labels, groups } = randomScored(4, 3000, { decimals: 3, positiveRate: 0.1 });
  const rule = Float64Array.from(labels, (y, i) => (i % 4 === 0 ? y : 0));
  const model = {
    name: 'mlp | v1',
    kind: 'model' as const,
    chosen: true,
    metrics: evaluateBinary(scores, labels, groups, { iterations: 100, seed: 2 }),
    reliability: reliabilityCurve(scores, labels),
    roc: rocCurve(scores, labels),
    notes: 'Platt-calibrated on validation',
  };
  const baseline = {
    name: 'rule: added to cart',
    kind: 'baseline' as const,
    metrics: evaluateBinary(rule, labels, groups, { iterations: 100, seed: 2 }),
    roc: rocCurve(rule, labels),
  };
  return {
    title: 'Purchase propensity, RetailRocket week',
    createdAt: '2026-12-02T05:00:00Z',
    data: { source: 'events.csv', from: '2015-09-13', to: '2015-09-20' },
    splits: [
      { name: 'train', rows: 100_000, positives: 4000, from: '2015-09-13', to: '2015-09-17' },
      { name: 'test', rows: 3000, positives: model.metrics.positives, groups: model.metrics.groups },
    ],
    models: [baseline, model],
    backend: 'tensorflow',
    timings: [{ name: 'train', seconds: 12.345 }],
    targets: { roc_auc: { min: 0.87 }, ece: { max: 0.02 } },
    notes: ['Tuning looked at the validation split only.'],
  };
}

void describe('training report', () => {
  void it('markdown: splits, every metric with its interval, models before baselines, targets, calibration table, plots, run', () => {
    const report = sampleReport();
    const md = renderMarkdownReport(report);
    const model = report.models[1]!;
    assert.match(md, /^# Purchase propensity, RetailRocket week$/m);
    assert.match(md, /Data: `events.csv` from 2015-09-13 to 2015-09-20\./);
    assert.match(md, /\| train \| 2015-09-13 – 2015-09-17 \| 100,000 \| 4,000 \| 4\.00% \| {2}\|/);
    const roc = model.metrics.roc_auc;
    assert.ok(md.includes(`${roc.estimate.toFixed(3)} [${roc.low.toFixed(3)}, ${roc.high.toFixed(3)}]`));
    // The pipe in the name is escaped; the chosen model comes first, the baseline after, marked.
    const rows = md.split('\n').filter((l) => l.startsWith('| mlp') || l.startsWith('| rule'));
    assert.match(rows[0]!, /^\| mlp \\\| v1 \*\*\(chosen\)\*\* \|/);
    assert.match(rows[1]!, /^\| rule: added to cart _\(baseline\)_ \|/);
    assert.equal(rows[0]!.split(' | ').length, 8, 'name + 7 metrics');
    assert.match(md, /\| mlp \\\| v1 \| ROC-AUC \| ≥ 0\.87 \| [0-9.]+ \| \[[0-9.]+, [0-9.]+\] \| (yes|\*\*no\*\*) \|/);
    assert.match(md, /1,?000 resamples|100 resamples, seed 2/);
    assert.match(md, /!\[ROC curves\]\(roc\.png\)/);
    assert.match(md, /!\[Reliability diagram\]\(calibration\.png\)/);
    const binLines = md.split('\n').filter((l) => /^\| [01]\.\d{3}–[01]\.\d{3} \|/.test(l));
    assert.equal(binLines.length, model.reliability!.length);
    assert.match(md, /Backend: `tensorflow`\./);
    assert.match(md, /\| train \| 12\.35 \|/);
    assert.match(md, /- Tuning looked at the validation split only\./);
  });

  void it('writeReport writes report.md and the two PNGs', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'clickwise-report-')), 'run-1');
    const written = writeReport(dir, sampleReport());
    assert.equal(written.markdown, join(dir, 'report.md'));
    assert.match(readFileSync(written.markdown, 'utf8'), /^# Purchase propensity/);
    for (const png of [written.roc!, written.calibration!]) {
      const img = decodePng(readFileSync(png));
      assert.deepEqual([img.width, img.height], [800, 640]);
    }
  });

  void it('a report without ROC points or bins links no plots and writes none', () => {
    const r = sampleReport();
    const bare: TrainingReport = { ...r, models: r.models.map((m) => ({ name: m.name, kind: m.kind, metrics: m.metrics })) };
    const md = renderMarkdownReport(bare);
    assert.doesNotMatch(md, /roc\.png|calibration\.png/);
    const written = writeReport(mkdtempSync(join(tmpdir(), 'clickwise-report-')), bare);
    assert.equal(written.roc, undefined);
    assert.equal(written.calibration, undefined);
  });
});

import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideChampion, metricDirection } from './champion.js';

const holdout = { holdoutFromMs: Date.UTC(2026, 10, 30), holdoutToMs: Date.UTC(2026, 11, 2) };
const model = (metrics: Record<string, number>, version = 'v1', window = holdout) => ({ version, metrics, ...window });

void describe('decideChampion', () => {
  const cases: { name: string; current: ReturnType<typeof model> | undefined; candidate: Record<string, number>; metric: string; force?: boolean; minImprovement?: number; champion: boolean; reason: RegExp }[] = [
    { name: 'no champion yet: the candidate wins', current: undefined, candidate: { roc_auc: 0.8 }, metric: 'roc_auc', champion: true, reason: /^no champion yet \(roc_auc 0\.8000\)$/ },
    { name: 'higher roc_auc wins', current: model({ roc_auc: 0.85 }), candidate: { roc_auc: 0.87 }, metric: 'roc_auc', champion: true, reason: /roc_auc 0\.8700 beats 0\.8500 of v1/ },
    { name: 'lower roc_auc loses', current: model({ roc_auc: 0.85 }), candidate: { roc_auc: 0.84 }, metric: 'roc_auc', champion: false, reason: /does not beat 0\.8500 of v1/ },
    { name: 'a tie loses (strictly better only)', current: model({ pr_auc: 0.25 }), candidate: { pr_auc: 0.25 }, metric: 'pr_auc', champion: false, reason: /does not beat/ },
    { name: 'lower log loss wins', current: model({ log_loss: 0.2 }), candidate: { log_loss: 0.15 }, metric: 'log_loss', champion: true, reason: /lower is better/ },
    { name: 'higher ece loses', current: model({ ece: 0.01 }), candidate: { ece: 0.02 }, metric: 'ece', champion: false, reason: /does not beat/ },
    { name: 'hr@20 is higher-better', current: model({ 'hr@20': 0.3 }), candidate: { 'hr@20': 0.31 }, metric: 'hr@20', champion: true, reason: /beats/ },
    { name: 'better, but not by the margin', current: model({ roc_auc: 0.85 }), candidate: { roc_auc: 0.855 }, metric: 'roc_auc', minImprovement: 0.01, champion: false, reason: /by more than 0\.01/ },
    { name: 'forced: worse, still champion', current: model({ roc_auc: 0.85 }), candidate: { roc_auc: 0.5 }, metric: 'roc_auc', force: true, champion: true, reason: /^forced by the operator/ },
    { name: 'forced past another hold-out', current: model({ roc_auc: 0.85 }, 'v1', { holdoutFromMs: 1, holdoutToMs: 2 }), candidate: { roc_auc: 0.5 }, metric: 'roc_auc', force: true, champion: true, reason: /forced/ },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const decision = decideChampion(c.current, { metrics: c.candidate, ...holdout }, { metric: c.metric, force: c.force, minImprovement: c.minImprovement });
      assert.equal(decision.champion, c.champion);
      assert.equal(decision.comparedToVersion, c.current?.version ?? '');
      assert.match(decision.reason, c.reason);
    });
  }

  void test('another hold-out window is refused, saying to re-evaluate the champion', () => {
    assert.throws(
      () => decideChampion(model({ roc_auc: 0.85 }, 'v1', { holdoutFromMs: 0, holdoutToMs: 1000 }), { metrics: { roc_auc: 0.9 }, ...holdout }, { metric: 'roc_auc' }),
      (e: unknown) => e instanceof InvalidInputError && /same hold-out/.test(e.message) && /re-evaluate the champion/.test(e.message),
    );
  });

  void test('a metric missing on either side, or with no known direction, is refused', () => {
    assert.throws(() => decideChampion(undefined, { metrics: { pr_auc: 0.2 }, ...holdout }, { metric: 'roc_auc' }), /candidate has no roc_auc \(its metrics: pr_auc\)/);
    assert.throws(() => decideChampion(model({ pr_auc: 0.2 }), { metrics: { roc_auc: 0.9 }, ...holdout }, { metric: 'roc_auc' }), /champion v1 has no roc_auc/);
    assert.throws(() => decideChampion(undefined, { metrics: { lift: 2 }, ...holdout }, { metric: 'lift' }), /no known direction/);
    // With a direction it works.
    assert.equal(decideChampion(model({ lift: 2 }), { metrics: { lift: 3 }, ...holdout }, { metric: 'lift', direction: 'higher' }).champion, true);
  });

  void test('metric directions', () => {
    for (const m of ['roc_auc', 'pr_auc', 'precision@1%', 'hr@20', 'mrr@20', 'accuracy']) assert.equal(metricDirection(m), 'higher', m);
    for (const m of ['log_loss', 'ece', 'brier']) assert.equal(metricDirection(m), 'lower', m);
    assert.equal(metricDirection('seconds'), undefined);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testInfra, waitFor } from '@clickwise/testing';
import { engine, simulatorEvents } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, PROPENSITY_FORMAT, propensityDocument, propensityMlpArtifact, type PredictionClient } from './harness.js';

interface Answer {
  sequence: bigint;
  version: string;
  logit: number;
  baselineLogit: number;
  method: string;
}

/**
 * Hot swap (ADR 0070): Predict calls run under load (32 in flight) while models are published.
 * Versions that must be refused (an artifact that does not parse, one trained on other feature
 * definitions, a format no loader serves) are published first: they never answer a call. Then a
 * good version: zero failed calls, and ordered by server sequence the answers switch from the
 * old version to the new one exactly once.
 */
void describe('prediction: hot swap under load', () => {
  let scope: PredictionScope;
  let features: ServiceProcess | undefined;
  let prediction: ServiceProcess | undefined;
  let client: PredictionClient;
  let key: string;
  let shoppers: string[];

  before(async () => {
    const infra = testInfra();
    scope = new PredictionScope('hot-swap', infra.kafkaBrokers, infra.redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
    const events = simulatorEvents(17, 2000, { shoppers: 100, items: 200, rate: 100 });
    shoppers = [...new Set(events.map((e) => e.userId || e.anonymousId))];
    features = await scope.start();
    await scope.produce(events);
    await scope.waitCaughtUp(120_000, features);
    key = await scope.createKey(['read']);
  });
  after(async () => {
    await prediction?.stop();
    await features?.stop();
    await scope.dispose();
  });

  void it('zero failed calls; by sequence the version switches exactly once; refused versions never serve', async () => {
    const v1 = await scope.publishModel(propensityDocument(-3));
    prediction = await scope.startPrediction({ PREDICTION_PER_CLICK: 'false' });
    client = scope.client(prediction);
    const answers: Answer[] = [];
    const failures: string[] = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const shopperKey = shoppers[n++ % shoppers.length]!;
        try {
          const p = (await client.predict({ shopperKey }, { metadata: { 'x-api-key': key }, timeoutMs: 10_000 })).prediction!;
          answers.push({ sequence: p.sequence, version: p.modelVersion, logit: p.logit, baselineLogit: p.baselineLogit, method: p.explanationMethod });
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const workers = Array.from({ length: 32 }, () => worker());
    const seen = (version: string, after = 0) => waitFor(() => answers.slice(after).some((a) => a.version === version), { timeoutMs: 60_000, intervalMs: 20, message: `answers from ${version}` });
    try {
      await seen(v1.version);
      const refused = [
        await scope.publishModel('{"format": "clickwise-linear/1", "inputs": "not a list"}'),
        await scope.publishModel(propensityDocument(5), { featureDefinitionsVersion: 'f0000000' }),
        await scope.publishModel(propensityDocument(5), { format: 'tfjs-layers/1' }),
      ];
      // Each refused version became champion in the registry and was tried by the service meanwhile.
      const metricsSeen = () =>
        fetch(`${prediction!.url}/metrics`).then(async (r) => {
          const text = await r.text();
          const total = [...text.matchAll(/^clickwise_prediction_models_rejected_total\{[^}]*\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
          return total >= 3;
        });
      await waitFor(metricsSeen, { timeoutMs: 30_000, intervalMs: 50, message: 'three refused versions' });
      const before = answers.length;
      await waitFor(() => answers.length > before + 200, { timeoutMs: 30_000, intervalMs: 20, message: 'more answers after the refusals' });
      const snapshots = await Promise.all(shoppers.map((shopperKey) => scope.reader.read({ shopperKey })));
      const v2 = await scope.publishModel(propensityMlpArtifact(snapshots), { format: PROPENSITY_FORMAT });
      const switchedAt = answers.length;
      await seen(v2.version, switchedAt);
      const afterSwitch = answers.length;
      await waitFor(() => answers.length > afterSwitch + 500, { timeoutMs: 60_000, intervalMs: 20, message: 'load after the switch' });
      stop = true;
      await Promise.all(workers);

      assert.deepEqual(failures, [], 'zero failed calls');
      const refusedVersions = new Set(refused.map((r) => r.version));
      assert.ok(!answers.some((a) => refusedVersions.has(a.version)), 'no refused version answered');
      const bySequence = [...answers].sort((a, b) => (a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0));
      assert.equal(new Set(bySequence.map((a) => a.sequence)).size, bySequence.length, 'sequence numbers are unique');
      const switches = bySequence.filter((a, i) => i > 0 && a.version !== bySequence[i - 1]!.version).length;
      assert.equal(bySequence[0]!.version, v1.version);
      assert.equal(bySequence.at(-1)!.version, v2.version);
      assert.equal(switches, 1, 'ordered by sequence, the version switches exactly once');
      // No mixed answer: each answer's baseline and explanation method are its own version's.
      for (const a of answers) {
        if (a.version === v1.version) {
          assert.ok(Math.abs(a.baselineLogit - -2.65) < 1e-12, 'the linear baseline: 0.9·−3 + 0.05');
          assert.equal(a.method, 'linear-exact');
        } else assert.equal(a.method, 'integrated-gradients/exact');
      }
      assert.equal(new Set(answers.filter((a) => a.version === v2.version).map((a) => a.baselineLogit)).size, 1, 'one baseline for the MLP');
      const counts = { [v1.version]: 0, [v2.version]: 0 };
      for (const a of answers) counts[a.version]!++;
      console.log(`hot swap: ${answers.length} calls, ${counts[v1.version]} by ${v1.version}, ${counts[v2.version]} by ${v2.version}, 0 failed; 3 versions refused; engine ${engine.version}`);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
  });
});

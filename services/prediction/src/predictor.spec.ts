import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError } from '@clickwise/errors';
import type { FeatureRequest, FeatureSnapshot } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import { LINEAR_FORMAT, LinearModel } from './linear-model.js';
import { Predictor, shopperBucket, type Challenger } from './predictor.js';
import { smokeSnapshots } from './serving-models.js';

const engine = new FeatureEngine();
const base = smokeSnapshots(engine)[1]!;
const feature = base.features[0]!.name;
const linear = (version: string, bias: number) => new LinearModel('propensity', version, engine.version, { format: LINEAR_FORMAT, inputs: [{ name: feature, transform: 'identity', mean: 0, scale: 1, weight: 0.5 }], bias });

/** Features for every shopper but "nobody" (a plain fake of the Redis reader). */
const features = {
  read: (r: FeatureRequest): Promise<FeatureSnapshot> =>
    Promise.resolve(r.shopperKey === 'nobody' ? { ...base, found: { shopper: false, session: false, item: false, category: false } } : { ...base, refMs: 1000 }),
};

void describe('Predictor: champion, challenger share and shadow', () => {
  const champion = linear('v1', -1);
  const challengerModel = linear('v2', 1);

  void it('share: a fixed set of shoppers (hash of the key) gets the challenger, about the configured share', async () => {
    const challenger: Challenger = { model: challengerModel, mode: 'share', share: 0.3 };
    const p = new Predictor(features, () => champion, { scoreUnknownShoppers: false, readTimeoutMs: 1000, now: () => 5000 }, undefined, () => challenger);
    let toChallenger = 0;
    for (let i = 0; i < 2000; i++) {
      const key = `shopper-${i}`;
      const [a, b] = [await p.predict(key, '', 3), await p.predict(key, '', 3)];
      assert.equal(a.arm, b.arm, 'the same shopper, the same arm');
      assert.equal(a.arm === 'challenger', shopperBucket(key) < 0.3);
      assert.equal(a.model.version, a.arm === 'challenger' ? 'v2' : 'v1');
      assert.deepEqual(a.challenger, { mode: 'share', share: 0.3 });
      assert.equal(a.shadow, undefined);
      if (a.arm === 'challenger') toChallenger++;
    }
    assert.ok(Math.abs(toChallenger / 2000 - 0.3) < 0.04, `${toChallenger} of 2000`);
  });

  void it('shadow: the champion answers, the challenger is scored beside it', async () => {
    const p = new Predictor(features, () => champion, { scoreUnknownShoppers: false, readTimeoutMs: 1000, now: () => 5000 }, undefined, () => ({ model: challengerModel, mode: 'shadow', share: 0.3 }));
    const r = await p.predict('someone', '', 3);
    assert.equal(r.arm, 'champion');
    assert.equal(r.model.version, 'v1');
    assert.deepEqual(r.challenger, { mode: 'shadow', share: 0 });
    assert.equal(r.shadow?.version, 'v2');
    assert.equal(r.shadow?.probability, challengerModel.score(base).probability);
    assert.notEqual(r.shadow?.probability, r.score.probability);
    assert.equal(r.featureAgeMs, 4000);
    await assert.rejects(p.predict('nobody', '', 3), NotFoundError);
  });
});

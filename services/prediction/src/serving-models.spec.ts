import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '@clickwise/errors';
import type { FeatureSnapshot } from '@clickwise/feature-store';
import { FeatureEngine } from '@clickwise/features';
import type { ModelVersion } from '@clickwise/model-registry';
import { LINEAR_FORMAT, LinearModel, parseLinearArtifact, type LinearArtifact } from './linear-model.js';
import { servingLoaders } from './loaders.js';
import { ModelLoaders, sigmoid, type ServingModel } from './serving-model.js';
import { ModelRejectedError, ServingModels, smokeSnapshots } from './serving-models.js';

const engine = new FeatureEngine();
const names = smokeSnapshots(engine)[0]!.features.map((f) => f.name);
const [a, b, c] = [names[0]!, names[1]!, names[2]!];

function record(version: string, artifact: object | string, overrides: Partial<ModelVersion> = {}): { record: ModelVersion; bytes: Uint8Array } {
  const bytes = new TextEncoder().encode(typeof artifact === 'string' ? artifact : JSON.stringify(artifact));
  return {
    bytes,
    record: {
      model: 'propensity',
      version,
      createdAtMs: 0,
      metrics: {},
      featureDefinitionsVersion: engine.version,
      backend: 'cpu',
      holdoutFromMs: 0,
      holdoutToMs: 1,
      comparedToVersion: '',
      wonWhenPublished: true,
      artifact: { uri: `kafka://models.artifacts.v1/${version}`, sha256: version, sizeBytes: bytes.length, format: LINEAR_FORMAT, partition: 0, firstOffset: 0, endOffset: 1, chunks: 1 },
      ...overrides,
    },
  };
}

const artifact: LinearArtifact = {
  format: LINEAR_FORMAT,
  inputs: [
    { name: a, transform: 'log1p', mean: 0.5, scale: 2, weight: 1.5 },
    { name: b, transform: 'identity', mean: 3, scale: 1, weight: -0.25 },
    { name: c, transform: 'identity', mean: 0, scale: 4, weight: 0.75 },
  ],
  bias: -2,
  calibration: { slope: 0.8, intercept: 0.1 },
};

function snapshot(values: Record<string, number | string[]>): FeatureSnapshot {
  const base = smokeSnapshots(engine)[0]!;
  return { ...base, found: { ...base.found, shopper: true }, features: base.features.map((f) => ({ ...f, value: values[f.name] ?? 0 })) };
}

void describe('clickwise-linear/1', () => {
  void it('scores exactly: baseline + contributions = logit, each contribution the naive formula', () => {
    const model = new LinearModel('propensity', 'v1', engine.version, parseLinearArtifact(new TextEncoder().encode(JSON.stringify(artifact)), names));
    for (let trial = 0; trial < 200; trial++) {
      const va = Math.floor(Math.random() * 50);
      const vb = Math.random() * 10 - 5;
      const list = Array.from({ length: Math.floor(Math.random() * 6) }, (_, i) => `item${i}`);
      const s = model.score(snapshot({ [a]: va, [b]: vb, [c]: list }));
      const naive = [0.8 * 1.5 * (Math.log1p(va) - 0.5) / 2, 0.8 * -0.25 * (vb - 3), (0.8 * 0.75 * list.length) / 4];
      const baseline = 0.8 * -2 + 0.1;
      assert.equal(s.baselineLogit, baseline);
      s.contributions.forEach((x, i) => assert.ok(Math.abs(x.contribution - naive[i]!) < 1e-12, `contribution ${i}`));
      assert.deepEqual(s.contributions.map((x) => x.value), [va, vb, list.length]);
      const logit = baseline + naive.reduce((p, q) => p + q, 0);
      assert.ok(Math.abs(s.logit - logit) < 1e-12);
      assert.ok(Math.abs(s.probability - 1 / (1 + Math.exp(-logit))) < 1e-12);
    }
  });

  void it('refuses bad artifacts naming the field', () => {
    const bad: [unknown, string][] = [
      [{ ...artifact, format: 'x' }, 'format'],
      [{ ...artifact, inputs: [] }, 'inputs'],
      [{ ...artifact, inputs: [{ ...artifact.inputs[0], name: 'no_such_feature' }] }, 'inputs[0].name'],
      [{ ...artifact, inputs: [artifact.inputs[0], artifact.inputs[0]] }, 'inputs[1].name'],
      [{ ...artifact, inputs: [{ ...artifact.inputs[0], scale: 0 }] }, 'inputs[0].scale'],
      [{ ...artifact, inputs: [{ ...artifact.inputs[0], weight: 'x' }] }, 'inputs[0].weight'],
      [{ ...artifact, inputs: [{ ...artifact.inputs[0], transform: 'sqrt' }] }, 'inputs[0].transform'],
      [{ ...artifact, bias: null }, 'bias'],
      [{ ...artifact, calibration: { slope: 1 } }, 'calibration.intercept'],
    ];
    for (const [doc, field] of bad) {
      assert.throws(() => parseLinearArtifact(new TextEncoder().encode(JSON.stringify(doc)), names), (e: unknown) => e instanceof InvalidInputError && e.field === field, field);
    }
    assert.throws(() => parseLinearArtifact(new Uint8Array([0xff, 0x00]), names), /UTF-8 JSON/);
  });
});

void describe('ServingModels (hot swap)', () => {
  const store = new Map<string, Uint8Array>();
  const publish = (version: string, doc: object | string, overrides: Partial<ModelVersion> = {}) => {
    const r = record(version, doc, overrides);
    store.set(version, r.bytes);
    return r.record;
  };
  const read = (r: ModelVersion) => {
    const bytes = store.get(r.version);
    return bytes ? Promise.resolve(bytes) : Promise.reject(new Error(`artifact of ${r.version} is missing`));
  };

  void it('swaps to a good version and keeps the old one for every kind of bad one', async () => {
    const swaps: string[] = [];
    const models = new ServingModels(engine, servingLoaders(), read, (e) => swaps.push(`${e.from ?? '-'}→${e.to}`));
    assert.equal(models.current, undefined);
    const v1 = await models.accept(publish('v1', artifact));
    assert.equal(models.current, v1);
    const rejectedAt = async (r: ModelVersion, stage: ModelRejectedError['stage']) => {
      await assert.rejects(models.accept(r), (e: unknown) => e instanceof ModelRejectedError && e.stage === stage);
      assert.equal(models.current, v1, `after ${r.version} the old model serves`);
    };
    await rejectedAt(publish('other-defs', artifact, { featureDefinitionsVersion: 'f0000000' }), 'compatibility');
    await rejectedAt(record('missing', artifact).record, 'read');
    await rejectedAt(publish('garbage', 'not json'), 'load');
    await rejectedAt(publish('unknown-format', artifact, { artifact: { ...record('x', artifact).record.artifact, format: 'tfjs-layers/1' } }), 'load');
    // Loads, but scores NaN: refused by the smoke score.
    const nanLoaders = new ModelLoaders().register(LINEAR_FORMAT, (_bytes, r): ServingModel => ({
      model: r.model, version: r.version, featureDefinitionsVersion: r.featureDefinitionsVersion, format: LINEAR_FORMAT, explanation: 'linear-exact',
      score: () => ({ probability: Number.NaN, logit: Number.NaN, baselineLogit: 0, contributions: [] }),
    }));
    const nan = new ServingModels(engine, nanLoaders, read);
    await assert.rejects(nan.accept(publish('nan', artifact)), (e: unknown) => e instanceof ModelRejectedError && e.stage === 'smoke');
    assert.equal(nan.current, undefined);
    // Explanations that do not add up are refused too.
    const skewed = new ModelLoaders().register(LINEAR_FORMAT, (_bytes, r): ServingModel => ({
      model: r.model, version: r.version, featureDefinitionsVersion: r.featureDefinitionsVersion, format: LINEAR_FORMAT, explanation: 'linear-exact',
      score: () => ({ probability: sigmoid(1), logit: 1, baselineLogit: 0, contributions: [{ feature: a, value: 0, contribution: 0.5 }] }),
    }));
    await assert.rejects(new ServingModels(engine, skewed, read).accept(publish('skewed', artifact)), /contributions = 0.5, not the logit 1/);
    const v2 = await models.accept(publish('v2', { ...artifact, bias: 1 }));
    assert.equal(models.current, v2);
    assert.deepEqual(swaps, ['-→propensity/v1', 'propensity/v1→propensity/v2']);
  });

  void it('refuses a format no loader serves, listing the served ones', async () => {
    const r = record('tf', artifact, { artifact: { ...record('x', artifact).record.artifact, format: 'tfjs-layers/1' } });
    await assert.rejects(servingLoaders().load(r.record, r.bytes, { featureNames: names }), /no loader for artifact format "tfjs-layers\/1"; this service serves "clickwise-linear\/1"/);
  });
});

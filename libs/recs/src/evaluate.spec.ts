import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { mulberry32 } from '@clickwise/random';
import { casesOf, evaluateRecs, metricsOf, parseCases, parseSessions, type SequenceHook, type SequenceTrainRequest } from './evaluate.js';
import type { SequenceModel } from './types.js';
import { sharedData } from './testing/retailrocket.js';

/** A first-order Markov chain over the sessions: a real (small) sequence model behind the seam. */
function markovModel(sessions: readonly (readonly string[])[], onAsk: () => void = () => {}): SequenceModel {
  const next = new Map<string, Map<string, number>>();
  for (const s of sessions)
    for (let i = 1; i < s.length; i++) {
      const row = next.get(s[i - 1]!) ?? new Map<string, number>();
      row.set(s[i]!, (row.get(s[i]!) ?? 0) + 1);
      next.set(s[i - 1]!, row);
    }
  return {
    itemIds: [...new Set(sessions.flat())],
    topK: (prefix, k) => {
      onAsk();
      const row = next.get(prefix[prefix.length - 1] ?? '') ?? new Map<string, number>();
      return [...row].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k).map(([itemId, n]) => ({ itemId, score: Math.log(n) }));
    },
    score: (prefix, itemIds) => Float32Array.from(itemIds.map((id) => next.get(prefix[prefix.length - 1] ?? '')?.get(id) ?? 0)),
    toArtifact: () => new Uint8Array(),
  };
}

void describe('offline evaluation', () => {
  void it('metric definitions on a small file', () => {
    const lists = [
      ['a', 'b', 'c'],
      ['b', 'a'],
      ['c', 'd'],
      ['d', 'e'],
    ];
    const labels = ['a', 'a', 'x', 'e'];
    const m = metricsOf(lists, labels, new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']), new Set(['a']));
    assert.equal(m.cases, 4);
    assert.equal(m.hr20, 75); // a@1, a@2, miss, e@2
    assert.ok(Math.abs(m.mrr20 - (100 * (1 + 0.5 + 0 + 0.5)) / 4) < 1e-12);
    assert.equal(m.hr10, 75);
    assert.equal(m.coverage, (100 * 5) / 8); // a..e of 8
    assert.equal(m.popularityShare, (100 * 2) / 9); // 'a' twice in 9 slots
    // A label at rank 15 counts for @20, not for @10.
    const long = Array.from({ length: 20 }, (_, i) => `i${i}`);
    const n = metricsOf([long], ['i14'], new Set(long), new Set());
    assert.deepStrictEqual([n.hr20, n.hr10, n.mrr10], [100, 0, 0]);
    assert.ok(Math.abs(n.mrr20 - 100 / 15) < 1e-12);
  });

  void it('parses the Diginetica format and builds prefix cases', () => {
    assert.deepStrictEqual(parseSessions('[1, 2]\n\n["x", 3, 4]\n'), [['1', '2'], ['x', '3', '4']]);
    assert.deepStrictEqual(parseCases('{"prefix": [1, 2], "label": 3}\n'), [{ prefix: ['1', '2'], label: '3' }]);
    assert.throws(() => parseCases('{"prefix": [], "label": 3}'), /at least one/);
    assert.deepStrictEqual(casesOf([['a', 'b', 'c']]), [
      { prefix: ['a'], label: 'b' },
      { prefix: ['a', 'b'], label: 'c' },
    ]);
  });

  const train = parseSessions(readFileSync(sharedData('diginetica/train_sessions.jsonl'), 'utf8')).slice(-20_000);
  const test = parseCases(readFileSync(sharedData('diginetica/test.jsonl'), 'utf8')).slice(0, 3000);

  void it('each test case is scored on its own: a shuffled test file gives identical metrics', async () => {
    const random = mulberry32(7);
    const shuffled = test.slice();
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    assert.notDeepStrictEqual(shuffled, test);
    const a = await evaluateRecs(train, test, { noTune: true });
    const b = await evaluateRecs(train, shuffled, { noTune: true });
    assert.deepStrictEqual(b.test, a.test);
    assert.ok(a.test.hr20 > 30, `HR@20 ${a.test.hr20} on 20k sessions`);
  });

  void it('tuning sees the end of --train only: the tuned configuration does not depend on the test file', async () => {
    const small = train.slice(-6000);
    const a = await evaluateRecs(small, test.slice(0, 200), { validationCases: 300 });
    const b = await evaluateRecs(small, test.slice(200, 400), { validationCases: 300 });
    assert.deepStrictEqual(b.rank, a.rank);
    assert.deepStrictEqual(b.tuning, a.tuning);
    assert.equal(a.tuneSessions, 5400);
    assert.ok(a.tuning.length > 10);
  });

  void it('a sequence model is trained on the tuning part (its epoch chosen on the validation sessions), tuned against, then warm-started over all of --train for the test; during tuning it is asked once per case', async () => {
    const small = train.slice(-3000);
    const cases = test.slice(0, 300);
    const trainedOn: (readonly (readonly string[])[])[] = [];
    const requests: (SequenceTrainRequest | undefined)[] = [];
    const models: SequenceModel[] = [];
    let asked = 0;
    const hook = {
      train: (sessions: readonly (readonly string[])[], request?: SequenceTrainRequest) => {
        trainedOn.push(sessions);
        requests.push(request);
        const model = markovModel(sessions, () => asked++);
        models.push(model);
        return Promise.resolve({ model, version: 'markov', epochs: 3 });
      },
    };
    const tuned = await evaluateRecs(small, cases, { validationCases: 200, sequence: hook });
    assert.equal(trainedOn.length, 2, 'the tuning-part training, then the refit');
    assert.deepStrictEqual(trainedOn[0], small.slice(0, tuned.tuneSessions), 'the tuning part trains the model that is tuned against');
    assert.deepStrictEqual(requests[0], { validationSessions: small.slice(tuned.tuneSessions) }, 'the validation sessions choose its epoch, they do not train it');
    assert.deepStrictEqual(trainedOn[1], small, 'the refit: all of --train');
    assert.deepStrictEqual(requests[1], { initial: models[0], epochs: 1, validationFraction: 0 }, 'warm-started from the tuned model, one epoch, nothing held out');
    assert.ok(tuned.tuning.some((step) => step.parameter === 'weights.sequence'), 'its blend weight is tuned');
    assert.ok(asked <= tuned.validationCases + cases.length, `${asked} answers for ${tuned.validationCases} validation and ${cases.length} test cases`);
    trainedOn.length = 0;
    requests.length = 0;
    await evaluateRecs(small, cases, { validationCases: 200, sequence: hook, refitEpochs: 0 });
    assert.deepStrictEqual(trainedOn, [small.slice(0, tuned.tuneSessions)], 'refitEpochs 0: the tuned model is tested');
    trainedOn.length = 0;
    requests.length = 0;
    const scratch = await evaluateRecs(small, cases, { validationCases: 200, sequence: hook, refit: 'scratch' });
    assert.deepStrictEqual(trainedOn, [small.slice(0, tuned.tuneSessions), small], "refit 'scratch': the tuning part, then all of --train");
    assert.deepStrictEqual(requests[1], { epochs: 3, validationFraction: 0 }, 'a new model, for the epochs the tuned one kept, nothing held out');
    assert.ok(scratch.test.hr20 > 0);
    await assert.rejects(
      evaluateRecs(small, cases, { validationCases: 200, sequence: { train: async (s, r) => ({ ...(await hook.train(s, r)), epochs: undefined }) }, refit: 'scratch' }),
      /needs the sequence hook to say how many epochs/,
    );
    trainedOn.length = 0;
    requests.length = 0;
    await evaluateRecs(small, cases, { noTune: true, sequence: hook });
    assert.deepStrictEqual(trainedOn, [small], 'without tuning: all of --train');
    assert.deepStrictEqual(requests, [undefined]);
  });

  void it('the recency epoch: tried on the latest share of the tuning part at its own rate, kept only when the validation objective rises, then applied after the refit over the latest share of --train (to each member of an ensemble)', async () => {
    const small = train.slice(-3000);
    const cases = test.slice(0, 300);
    const recent = { share: 0.2, learningRate: 0.003 };
    const calls: { sessions: readonly (readonly string[])[]; request?: SequenceTrainRequest; model: SequenceModel }[] = [];
    const sessionsOf = new Map<SequenceModel, readonly (readonly string[])[]>();
    // The recency epoch's model: useful, the initial model's sessions, the latest again and (so that
    // validation surely rises) the validation sessions it is given; or one that knows nothing.
    const hook = (useful: boolean): SequenceHook => ({
      train: (sessions, request) => {
        const isRecent = request?.learningRate !== undefined;
        const base = isRecent ? [...(sessionsOf.get(request.initial!) ?? []), ...sessions] : sessions;
        const model = markovModel(isRecent ? (useful ? [...base, ...(request.validationSessions ?? [])] : []) : base);
        sessionsOf.set(model, base);
        calls.push({ sessions, ...(request ? { request } : {}), model });
        return Promise.resolve({ model, version: isRecent ? 'recent' : 'markov', epochs: isRecent ? 1 : 3 });
      },
    });
    const latest = (s: readonly (readonly string[])[]) => s.slice(-Math.round(s.length * recent.share));

    const kept = await evaluateRecs(small, cases, { validationCases: 200, sequence: hook(true), refit: 'scratch', recent });
    const tunePart = small.slice(0, kept.tuneSessions);
    const validationSessions = small.slice(kept.tuneSessions);
    assert.equal(calls.length, 4, 'tuning, its recency epoch, the refit, its recency epoch');
    assert.deepStrictEqual(calls[1]!.sessions, latest(tunePart));
    assert.deepStrictEqual(calls[0]!.sessions, tunePart);
    assert.deepStrictEqual(calls[1]!.request, { initial: calls[0]!.model, epochs: 1, learningRate: 0.003, learningRateDecay: 1, validationSessions });
    const step = kept.tuning.find((t) => t.parameter === 'sequenceRecent');
    assert.equal(step?.kept, true, JSON.stringify(step));
    assert.equal(step.value, '20% at 0.003');
    assert.deepStrictEqual(calls[2]!.request, { epochs: 3, validationFraction: 0 }, "the scratch refit trains the tuned model's epochs, not the recency epoch's");
    assert.deepStrictEqual(calls[3]!.sessions, latest(small));
    assert.deepStrictEqual(calls[3]!.request, { initial: calls[2]!.model, epochs: 1, learningRate: 0.003, learningRateDecay: 1, validationFraction: 0 }, 'warm-started from the refit model');

    calls.length = 0;
    const refused = await evaluateRecs(small, cases, { validationCases: 200, sequence: hook(false), refit: 'scratch', recent });
    assert.equal(refused.tuning.find((t) => t.parameter === 'sequenceRecent')?.kept, false);
    assert.equal(calls.length, 3, 'no recency epoch after the refit');
    const without = await evaluateRecs(small, cases, { validationCases: 200, sequence: hook(false), refit: 'scratch' });
    assert.deepStrictEqual(refused.test, without.test, 'a refused recency epoch changes nothing');
    assert.deepStrictEqual(refused.rank, without.rank);

    calls.length = 0;
    const combined: (readonly SequenceModel[])[] = [];
    const ensembling: SequenceHook = { ...hook(true), ensemble: (models) => (combined.push(models), models[0]!) };
    const ensemble = await evaluateRecs(small, cases, { validationCases: 200, sequence: ensembling, refit: 'scratch', recent, members: 2 });
    assert.deepStrictEqual(
      calls.map((c) => [c.sessions.length, c.request?.seed, c.request?.learningRate]),
      [
        [tunePart.length, undefined, undefined],
        [latest(tunePart).length, undefined, 0.003],
        [small.length, undefined, undefined],
        [latest(small).length, undefined, 0.003],
        [small.length, 1001, undefined],
        [latest(small).length, undefined, 0.003],
      ],
      'two members over all of --train, seeds apart, each with its recency epoch',
    );
    assert.deepStrictEqual(combined, [[calls[3]!.model, calls[5]!.model]], 'the ensemble of the two members after their recency epochs');
    assert.ok(ensemble.test.hr20 > 0);
    await assert.rejects(evaluateRecs(small, cases, { sequence: ensembling, members: 2 }), /needs the refit 'scratch'/);
    await assert.rejects(evaluateRecs(small, cases, { sequence: hook(true), refit: 'scratch', members: 2 }), /a sequence hook that can ensemble/);
    await assert.rejects(evaluateRecs(small, cases, { sequence: ensembling, refit: 'scratch', members: 0 }), /members 0: expected a whole number/);

    calls.length = 0;
    await evaluateRecs(small, cases, { noTune: true, sequence: hook(true), recent });
    assert.deepStrictEqual(
      calls.map((c) => c.sessions),
      [small, latest(small)],
      'without tuning there is nothing to choose by: the requested epoch is applied',
    );
  });
});

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '@clickwise/testing';
import { execCli, runCli } from '../replay/cli.js';

interface EvaluateRecsJson {
  hr20: number;
  mrr20: number;
  cases: number;
  validation?: { hr20: number; mrr20: number };
  sequenceRecent?: { kept: boolean; validation: { hr20: number; mrr20: number } };
}

/**
 * `./clickwise evaluate recs` itself, on the first 3,000 Diginetica training sessions and 300 test
 * cases, with the real sequence module (libs/sequence, TensorFlow.js): the recency epoch (ADR 0088)
 * is tried on validation and its verdict printed, and its flags are checked.
 */
void describe('clickwise evaluate recs: the sequence model with a recency epoch', () => {
  let dir: string;
  let train: string;
  let testFile: string;
  const diginetica = join(repoRoot(), '..', 'shared', 'data', 'diginetica');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clickwise-evaluate-recs-'));
    train = join(dir, 'train.jsonl');
    testFile = join(dir, 'test.jsonl');
    const head = async (file: string, n: number) => `${(await readFile(join(diginetica, file), 'utf8')).split('\n').slice(0, n).join('\n')}\n`;
    await writeFile(train, await head('train_sessions.jsonl', 3000));
    await writeFile(testFile, await head('test.jsonl', 300));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void test('trains, tries the recency epoch on validation, says whether it was kept, and reports the test metrics', async () => {
    const args = ['evaluate', 'recs', '--train', train, '--test', testFile, '--sequence', './libs/sequence/dist/index.js', '--sequence-epochs', '1', '--sequence-refit', 'scratch'];
    const { code, json, stderr } = await runCli<EvaluateRecsJson>([...args, '--sequence-recent-share', '0.2', '--sequence-recent-learning-rate', '0.002'], {}, { timeoutMs: 300_000 });
    assert.equal(code, 0, stderr.slice(-2000));
    assert.equal(json.cases, 300);
    assert.ok(json.hr20 > 0 && json.hr20 <= 100 && json.mrr20 > 0 && json.mrr20 <= json.hr20, JSON.stringify(json));
    assert.ok(json.sequenceRecent, 'the recency epoch was tried');
    assert.equal(typeof json.sequenceRecent.kept, 'boolean');
    assert.ok(json.sequenceRecent.validation.hr20 > 0);
    if (!json.sequenceRecent.kept) {
      // Refused: the run equals one without the flag (the model it tests is the same).
      const plain = await runCli<EvaluateRecsJson>(args, {}, { timeoutMs: 300_000 });
      assert.equal(plain.code, 0, plain.stderr.slice(-2000));
      assert.equal(plain.json.sequenceRecent, undefined);
      assert.deepEqual([plain.json.hr20, plain.json.mrr20], [json.hr20, json.mrr20]);
    } else assert.ok(json.validation!.hr20 + json.validation!.mrr20 >= json.sequenceRecent.validation.hr20 + json.sequenceRecent.validation.mrr20 - 1e-9);
    const printed = await execCli([...args, '--sequence-recent-share', '0.2'], {}, { timeoutMs: 300_000 });
    assert.match(printed.stdout, /recency epoch \(latest 20% at 0\.002\): validation HR@20 [\d.]+ MRR@20 [\d.]+, (kept, and applied after the refit|refused: the model without it is tested)/);
  });

  void test('bad recency flags are refused, naming the flag', async () => {
    const base = ['evaluate', 'recs', '--train', train, '--test', testFile];
    const cases: [string[], RegExp][] = [
      [['--sequence', './libs/sequence/dist/index.js', '--sequence-recent-share', '1.5'], /--sequence-recent-share 1\.5: expected a number in \(0, 1\)/],
      [['--sequence-recent-share', '0.2'], /--sequence-recent-share needs --sequence MODULE/],
      [['--sequence', './libs/sequence/dist/index.js', '--sequence-recent-share', '0.2', '--sequence-recent-learning-rate', '0'], /--sequence-recent-learning-rate 0: expected a positive number/],
      [['--sequence', './libs/sequence/dist/index.js', '--sequence-recent-learning-rate', '0.01'], /--sequence-recent-learning-rate needs --sequence-recent-share S/],
    ];
    for (const [flags, message] of cases) {
      const { code, stderr } = await execCli([...base, ...flags]);
      assert.notEqual(code, 0, flags.join(' '));
      assert.match(stderr, message);
    }
  });
});

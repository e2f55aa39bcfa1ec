/**
 * `clickwise bench sequence [--backends native,wasm] [--epochs N] [--throughput-sessions N] [--json]`:
 * libs/sequence's next-item model on the Diginetica split (../shared/data/diginetica):
 * 1. training examples/s per backend that loads: one epoch over the first N training sessions
 *    (default 20000) on each;
 * 2. the full run on the first backend: every prefix of the training sessions, the latest 10% of
 *    the sessions selecting the epoch (never the test file), epoch times, then HR@20 / MRR@20 /
 *    HR@10 / MRR@10 of the model alone on test.jsonl (exact over every item), and HR@20 / MRR@20
 *    of its IVF retrieval (what `topK` serves) on a sample;
 * 3. topK latency p50/p99 (IVF, and the exact scan for comparison) in pure JS, no TensorFlow.
 * No Kafka or Redis.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateOnTf, evaluateSequenceModel, loadSequenceModel, trainSequenceModel, type NextItemCase } from '@clickwise/sequence';
import { repoRoot } from '@clickwise/testing';
import { loadTensorflow, type BackendName } from '@clickwise/tf';
import { describeHardware, hardware, percentile, report, round } from './common.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    backends: { type: 'string' },
    epochs: { type: 'string' },
    'throughput-sessions': { type: 'string' },
    sessions: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('clickwise bench sequence [--backends native,wasm,cpu] [--epochs N (default 4)] [--throughput-sessions N (default 20000; 0 skips)] [--sessions N (the full run on the first N training sessions only: a smoke run)] [--json]');
  process.exit(0);
}
const started = performance.now();
const backends = (values.backends ?? 'native,wasm').split(',').map((b) => b.trim()) as BackendName[];
const epochs = Number(values.epochs ?? 4);
const throughputSessions = Number(values['throughput-sessions'] ?? 20_000);
const dir = join(repoRoot(), '..', 'shared', 'data', 'diginetica');
const hw = hardware();
const allSessions = readFileSync(join(dir, 'train_sessions.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as number[]).map(String));
const sessions = values.sessions ? allSessions.slice(0, Number(values.sessions)) : allSessions;
const test: NextItemCase[] = readFileSync(join(dir, 'test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => {
    const o = JSON.parse(l) as { prefix: number[]; label: number };
    return { prefix: o.prefix.map(String), label: String(o.label) };
  });
const log = (s: string) => process.stderr.write(`${s}\n`);

// 1. Throughput per backend.
const rows: Record<string, string | number>[] = [];
const throughput: Record<string, unknown> = {};
let main: Awaited<ReturnType<typeof loadTensorflow>> | undefined;
for (const backend of backends) {
  let loaded;
  try {
    loaded = await loadTensorflow({ backend });
  } catch (error) {
    log(`${backend}: not available (${error instanceof Error ? error.message : String(error)})`);
    throughput[backend] = { available: false };
    continue;
  }
  log(`TensorFlow.js backend loaded: ${loaded.backend} (${loaded.tfBackendName})`);
  main ??= loaded;
  if (throughputSessions > 0) {
    const { report: r } = await trainSequenceModel(sessions.slice(0, throughputSessions), { tf: loaded, epochs: 1, validationFraction: 0.05, maxValidationCases: 1000 });
    const e = r.epochs[0]!;
    rows.push({ backend, 'examples/s': Math.round(e.examplesPerSecond), 'epoch s': round(e.seconds, 1), examples: r.trainExamples, items: r.items });
    throughput[backend] = { available: true, examplesPerSecond: e.examplesPerSecond, seconds: e.seconds, examples: r.trainExamples, items: r.items };
  }
}
if (!main) throw new Error('no TensorFlow.js backend loaded');

// 2. The full run.
const { model, report: run } = await trainSequenceModel(sessions, {
  tf: main,
  epochs,
  patience: 1,
  onProgress: (stage, _done, _total, note) => {
    if (stage === 'epoch') log(`epoch: ${note}`);
  },
});
const t0 = performance.now();
const exact = evaluateOnTf(main.tf, model, test);
const evalSeconds = (performance.now() - t0) / 1000;
const sample = test.filter((_, i) => i % 20 === 0);
const t1 = performance.now();
const served = evaluateSequenceModel(model, sample, { retrieval: true });
const exactOnSample = evaluateSequenceModel(model, sample);
const sampleSeconds = (performance.now() - t1) / 1000;

// 3. topK latency in pure JS, from the artifact (no TensorFlow in the path).
const artifact = model.toArtifact();
const served2 = loadSequenceModel(artifact);
const ivfMs: number[] = [];
const exactMs: number[] = [];
let sink = 0;
for (let i = 0; i < 2000; i++) {
  const c = test[(i * 31) % test.length]!;
  let t = performance.now();
  sink += served2.topK(c.prefix, 20).length;
  ivfMs.push(performance.now() - t);
  if (i % 4 === 0) {
    t = performance.now();
    sink += served2.exactTopK(c.prefix, 20).length;
    exactMs.push(performance.now() - t);
  }
}
const totalSeconds = (performance.now() - started) / 1000;
const f = (x: number) => round(x, 2);
report(
  `bench sequence — Diginetica (${run.trainSessions} training sessions + ${run.validationSessions} validation, ${run.trainExamples} examples, ${run.items} items; ${test.length} test cases); ${describeHardware(hw)}\n` +
    `full run on ${run.backend}: ${run.epochs.length} epochs (${run.epochs.map((e) => `${e.seconds.toFixed(0)} s, val HR@20 ${e.validation.hr20.toFixed(2)}`).join('; ')}), kept epoch ${run.bestEpoch}\n` +
    `test, model alone, exact over every item: HR@20 ${f(exact.hr20)}  MRR@20 ${f(exact.mrr20)}  HR@10 ${f(exact.hr10)}  MRR@10 ${f(exact.mrr10)}  (${evalSeconds.toFixed(1)} s)\n` +
    `test sample of ${sample.length}: exact HR@20 ${f(exactOnSample.hr20)} MRR@20 ${f(exactOnSample.mrr20)}; IVF topK (${run.retrieval.nprobe}/${run.retrieval.lists} lists, ${(100 * run.retrieval.scannedShare).toFixed(1)}% of items, recall@20 vs exact ${f(run.retrieval.recallAt20)}) HR@20 ${f(served.hr20)} MRR@20 ${f(served.mrr20)} (${sampleSeconds.toFixed(1)} s)\n` +
    `topK(20) pure JS from the ${(artifact.length / 2 ** 20).toFixed(1)} MiB artifact: IVF p50 ${f(percentile(ivfMs, 50))} ms p99 ${f(percentile(ivfMs, 99))} ms; exact scan p50 ${f(percentile(exactMs, 50))} ms p99 ${f(percentile(exactMs, 99))} ms\n` +
    `wall time ${totalSeconds.toFixed(0)} s (full training run ${run.seconds.toFixed(0)} s); load average at the end ${round(hw.loadAverage, 1)} → ${round((await import('node:os')).loadavg()[0] ?? 0, 1)}\n` +
    `training examples/s per backend (one epoch over the first ${throughputSessions} sessions):`,
  rows,
  {
    hardware: hw,
    throughput,
    run: { backend: run.backend, epochs: run.epochs, bestEpoch: run.bestEpoch, seconds: run.seconds, items: run.items, trainExamples: run.trainExamples, options: run.options, retrieval: run.retrieval },
    test: exact,
    sample: { exact: exactOnSample, ivf: served },
    topKMs: { ivf: { p50: percentile(ivfMs, 50), p99: percentile(ivfMs, 99) }, exact: { p50: percentile(exactMs, 50), p99: percentile(exactMs, 99) } },
    artifactBytes: artifact.length,
    seconds: totalSeconds,
    checksum: sink,
  },
  values.json === true,
);

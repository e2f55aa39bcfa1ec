/**
 * `clickwise bench train [--backends native,wasm,cpu] [--rows N] [--json]`: the purchase-propensity
 * trainer on this box, over the RetailRocket week (../shared/data):
 * 1. full retrain (what the trainer and `evaluate purchase` run): file → offline executor →
 *    training set → LR + MLP ensemble → calibration → test metrics; wall time and the process's
 *    peak RSS (measured first, so the peak is the retrain's). Target: under 60 s.
 * 2. training samples/s of one MLP (64-32, batch 256), of the 5-network ensemble trained at once
 *    (per network) and of the LR, in the trainer's own loop (ADR 0064), beside one MLP trained
 *    with tfjs's `model.fit` (what the loop replaced), per backend that loads (native:
 *    libtensorflow via tfjs-node, if the install provided it; wasm; cpu).
 * 3. one-row inference latency, p50/p99: the tf model's predict on each backend beside the
 *    hand-written Float32Array forward pass of the same weights (PurchaseScorer).
 * No Kafka or Redis.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { retailRocketMapping } from '@clickwise/clickstream-files';
import { repoRoot } from '@clickwise/testing';
import { loadTensorflow, type BackendName } from '@clickwise/tf';
import {
  ARTIFACT_FORMAT,
  buildTrainingSet,
  fileSource,
  disposeEnsemble,
  fitEnsemble,
  fitModel,
  fitPreprocessing,
  LOGISTIC_REGRESSION,
  MLP,
  PurchaseScorer,
  timeSplit,
  trainPurchaseModel,
  transformRows,
} from '@clickwise/training';
import { describeHardware, hardware, percentile, report } from './common.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, backends: { type: 'string' }, latency: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('clickwise bench train [--backends native,wasm,cpu] [--latency N one-row calls] [--json]');
  process.exit(0);
}
const backends = (values.backends ?? 'native,wasm,cpu').split(',').map((b) => b.trim()) as BackendName[];
const calls = Number(values.latency ?? 3000);
const file = join(repoRoot(), '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');
const hw = hardware();
const text = readFileSync(file, 'utf8');
const source = () => fileSource(text, { file, mapping: retailRocketMapping, delimiter: '\t' });

// 1. Full retrain, first in the process (peak RSS is then the retrain's own).
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const full = await trainPurchaseModel(source(), { bootstrapReps: 200 });
const retrainSeconds = (performance.now() - started) / 1000;
const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
console.error(
  `full retrain on ${full.backend}: ${retrainSeconds.toFixed(1)} s (replay ${full.seconds.replay.toFixed(1)}, train ${full.seconds.train.toFixed(1)}, evaluate ${full.seconds.evaluate.toFixed(1)}), ` +
    `peak RSS ${peakRssMiB} MiB (${Math.round(rssBefore / 2 ** 20)} MiB before); test ROC-AUC ${full.metrics.roc_auc.value.toFixed(3)}, PR-AUC ${full.metrics.pr_auc.value.toFixed(3)}`,
);

// 2 and 3. Per backend.
const set = await buildTrainingSet(source());
const split = timeSplit(set);
const pre = fitPreprocessing(split.train.rows, set.columns.length);
const train = { x: transformRows(pre, split.train.rows), y: split.train.labels, width: pre.width };
const validation = { x: transformRows(pre, split.validation.rows), y: split.validation.labels, width: pre.width };
const testRows = split.test.rows;
const d = set.columns.length;

function latencies(run: (i: number) => void): { p50: number; p99: number } {
  const samples: number[] = [];
  for (let i = 0; i < 200; i++) run(i); // warm-up
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    run(i);
    samples.push((performance.now() - t) * 1000);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/**
 * The reference the trainer's own loop replaced (ADR 0064): one MLP of the same shape trained with
 * tfjs's `model.fit` (Adam, class weights, batch 256, L2, dropout) for `epochs`; samples/s.
 */
async function kerasFitSamplesPerSecond(tf: Awaited<ReturnType<typeof loadTensorflow>>['tf'], data: { x: Float32Array; y: Uint8Array; width: number }, epochs: number): Promise<number> {
  const model = tf.sequential();
  for (const [i, units] of MLP.hidden.entries()) {
    model.add(tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [data.width] } : {}), kernelRegularizer: tf.regularizers.l2({ l2: MLP.l2 }) }));
    model.add(tf.layers.dropout({ rate: MLP.dropout }));
  }
  model.add(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelRegularizer: tf.regularizers.l2({ l2: MLP.l2 }) }));
  model.compile({ optimizer: tf.train.adam(MLP.learningRate), loss: 'binaryCrossentropy' });
  const n = data.y.length;
  const positives = data.y.reduce((a, b) => a + b, 0);
  const xs = tf.tensor2d(data.x, [n, data.width]);
  const ys = tf.tensor2d(Float32Array.from(data.y), [n, 1]);
  const t = performance.now();
  await model.fit(xs, ys, { epochs, batchSize: MLP.batchSize, shuffle: false, verbose: 0, classWeight: { 0: 1, 1: Math.sqrt((n - positives) / Math.max(1, positives)) } }); // √ weighting, as MLP
  const seconds = (performance.now() - t) / 1000;
  tf.dispose([xs, ys]);
  model.dispose();
  return (n * epochs) / seconds;
}

const rows: Record<string, string | number>[] = [];
const results: Record<string, unknown> = {};
for (const backend of backends) {
  let loaded;
  try {
    loaded = await loadTensorflow({ backend });
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0]!;
    console.error(`${backend}: not available — ${reason}`);
    results[backend] = { available: false, reason };
    continue;
  }
  const { tf } = loaded;
  const mlp = await fitModel(tf, { ...MLP, members: 1, epochs: 3 }, train, validation);
  const lr = await fitModel(tf, { ...LOGISTIC_REGRESSION, epochs: 3 }, train, validation);
  const stacked = await fitEnsemble(tf, { ...MLP, epochs: 3 }, train, validation);
  disposeEnsemble(stacked);
  const fit = await kerasFitSamplesPerSecond(tf, train, 3);
  const scorer = new PurchaseScorer({
    format: ARTIFACT_FORMAT, model: 'mlp', featureDefinitionsVersion: set.featureDefinitionsVersion, createdAt: '', columns: set.columnSpecs,
    preprocessing: pre, networks: [mlp.layers], calibration: { kind: 'platt', a: 1, b: 0 }, info: {},
  });
  const n = testRows.length / d;
  const tfLatency = latencies((i) => {
    const row = testRows.subarray((i % n) * d, ((i % n) + 1) * d);
    tf.tidy(() => (mlp.model.predict(tf.tensor2d(transformRows(pre, Float32Array.from(row)), [1, pre.width])) as ReturnType<typeof tf.tensor>).dataSync());
  });
  let sink = 0;
  const handLatency = latencies((i) => {
    sink += scorer.score(testRows.subarray((i % n) * d, ((i % n) + 1) * d));
  });
  mlp.model.dispose();
  lr.model.dispose();
  const r = {
    backend,
    'MLP samples/s': Math.round(mlp.samplesPerSecond),
    [`MLP ×${MLP.members} stacked samples/s`]: Math.round(stacked.samplesPerSecond),
    'MLP model.fit samples/s': Math.round(fit),
    'LR samples/s': Math.round(lr.samplesPerSecond),
    'tf predict p50 µs': Math.round(tfLatency.p50),
    'tf predict p99 µs': Math.round(tfLatency.p99),
    'hand-written p50 µs': Number(handLatency.p50.toFixed(1)),
    'hand-written p99 µs': Number(handLatency.p99.toFixed(1)),
  };
  rows.push(r);
  results[backend] = { available: true, mlpSamplesPerSecond: r['MLP samples/s'], stackedMlpSamplesPerSecond: Math.round(stacked.samplesPerSecond), modelFitMlpSamplesPerSecond: Math.round(fit), lrSamplesPerSecond: r['LR samples/s'], tfPredictUs: tfLatency, handWrittenUs: handLatency, checksum: sink };
}

report(
  `bench train — RetailRocket week (${set.stats.examples} examples, ${set.columns.length} columns → ${pre.width} inputs; train ${split.train.stats.examples}); ${describeHardware(hw)}\n` +
    `full retrain: ${retrainSeconds.toFixed(1)} s on ${full.backend} (target < 60 s), peak RSS ${peakRssMiB} MiB`,
  rows,
  { hardware: hw, retrain: { seconds: retrainSeconds, backend: full.backend, peakRssMiB, rocAuc: full.metrics.roc_auc.value, prAuc: full.metrics.pr_auc.value }, backends: results },
  values.json === true,
);

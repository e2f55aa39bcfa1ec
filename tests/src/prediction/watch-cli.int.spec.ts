import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, testInfra, waitFor } from '@clickwise/testing';
import { simulatorEvents } from '../features/harness.js';
import type { ServiceProcess } from '../support/service-process.js';
import { PredictionScope, propensityDocument } from './harness.js';

/** `clickwise watch SHOPPER --json` as a process: prints the predictions of its shopper's clicks, stops on SIGINT. */
void describe('clickwise watch', () => {
  let scope: PredictionScope;
  let features: ServiceProcess | undefined;
  let prediction: ServiceProcess | undefined;

  before(async () => {
    scope = new PredictionScope('watch-cli', testInfra().kafkaBrokers, testInfra().redisUrl);
    await scope.createTopics();
    await scope.startRegistry();
    await scope.publishModel(propensityDocument());
  });
  after(async () => {
    await prediction?.stop();
    await features?.stop();
    await scope.dispose();
  });

  void it('streams the named shopper\'s predictions, one JSON line each, and exits 0 on Ctrl-C', async () => {
    prediction = await scope.startPrediction();
    features = await scope.start();
    const key = await scope.createKey(['read']);
    const events = simulatorEvents(77, 1500, { shoppers: 50, items: 100, rate: 200 });
    const shopper = events[0]!.userId || events[0]!.anonymousId;
    const theirs = new Set(events.filter((e) => (e.userId || e.anonymousId) === shopper).map((e) => e.eventId));
    const cli = spawn(process.execPath, [join(repoRoot(), 'cli/dist/main.js'), 'watch', shopper, '--key', key, '--address', `127.0.0.1:${prediction.ports.grpc}`, '--json'], { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    cli.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    try {
      await waitFor(() => stderr.includes('watching'), { timeoutMs: 20_000, intervalMs: 50, message: `the watch to open (stderr: ${stderr})` });
      await scope.produce(events);
      const lines = () => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { shopperKey: string; eventIds: string[]; purchaseProbability: number; modelVersion: string });
      await waitFor(() => new Set(lines().flatMap((l) => l.eventIds)).size === theirs.size, { timeoutMs: 60_000, intervalMs: 100, message: `predictions covering the shopper's ${theirs.size} events (got ${stdout.length} bytes; stderr ${stderr})` });
      for (const l of lines()) {
        assert.equal(l.shopperKey, shopper);
        assert.ok(l.eventIds.every((id) => theirs.has(id)));
        assert.ok(l.purchaseProbability > 0 && l.purchaseProbability < 1);
        assert.match(l.modelVersion, /^propensity\//);
      }
    } finally {
      cli.kill('SIGINT');
    }
    assert.equal(await exited, 0);
  });
});

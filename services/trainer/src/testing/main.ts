import { runTrainer } from '../run-trainer.js';
import { CountingJob } from './counting-job.js';

/**
 * A trainer process whose only job is the CountingJob fixture (tests start it with
 * `startServiceProcess('trainer', env, { entry: 'dist/testing/main.js' })`).
 * TRAINER_FIXTURE_HOLD_MS: how long each run holds on after reading (ms, default 0);
 * TRAINER_FIXTURE_READ_DELAY_MS: how long it waits before reading its history (ms, default 0).
 */
function ms(name: string): number {
  const raw = process.env[name] ?? '0';
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`${name} must be a whole number of ms, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}
const options = { holdMs: ms('TRAINER_FIXTURE_HOLD_MS'), readDelayMs: ms('TRAINER_FIXTURE_READ_DELAY_MS') };
runTrainer((deps) => [new CountingJob(deps.registry, options)]);

import { runTrainer } from '../run-trainer.js';
import { CountingJob } from './counting-job.js';

/**
 * A trainer process whose only job is the CountingJob fixture (tests start it with
 * `startServiceProcess('trainer', env, { entry: 'dist/testing/main.js' })`). TRAINER_FIXTURE_HOLD_MS:
 * how long each run holds on (ms, default 0).
 */
const raw = process.env.TRAINER_FIXTURE_HOLD_MS ?? '0';
const holdMs = Number(raw);
if (!Number.isInteger(holdMs) || holdMs < 0) {
  process.stderr.write(`TRAINER_FIXTURE_HOLD_MS must be a whole number of ms, got "${raw}"\n`);
  process.exit(2);
}
runTrainer((deps) => [new CountingJob(deps.kafka, deps.producer, { holdMs })]);

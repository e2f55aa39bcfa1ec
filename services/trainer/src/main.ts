import { productionJobs } from './jobs.js';
import { runTrainer } from './run-trainer.js';
import { textJobs } from './sentiment.job.js';

runTrainer((deps) => [...textJobs(deps), ...productionJobs(deps)]);

import { productionJobs } from './jobs.js';
import { runTrainer } from './run-trainer.js';

runTrainer(productionJobs);

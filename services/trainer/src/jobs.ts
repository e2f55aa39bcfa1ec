import type { JobFactory } from './job.js';
import { NextItemJob } from './next-item.job.js';
import { PurchaseJob } from './purchase.job.js';
import { SegmentsJob } from './segments.job.js';

/**
 * The training jobs the production trainer (main.ts) runs, built from the service's connections.
 * Every job listed here is run by each run, in this order, on the same history.
 */
export const productionJobs: JobFactory = ({ registry }) => [new PurchaseJob(registry), new SegmentsJob(registry), new NextItemJob(registry)];

import { Counter, createMetricsRegistry, Gauge, Histogram, type Registry } from '@clickwise/telemetry';

/** Prometheus metrics of the trainer, served on GET /metrics. */
export class TrainerMetrics {
  readonly registry: Registry;
  readonly runs: Counter<'trigger' | 'outcome'>;
  readonly jobErrors: Counter<'job'>;
  readonly checkErrors: Counter;
  readonly leaseLost: Counter;
  readonly runDuration: Histogram<'outcome'>;
  readonly lastRunStart: Gauge;
  readonly lastRunEnd: Gauge;
  readonly lastRunEvents: Gauge;
  readonly running: Gauge;
  readonly eventsSinceTrained: Gauge;

  constructor(registry: Registry = createMetricsRegistry('trainer')) {
    this.registry = registry;
    const registers = [registry];
    this.runs = new Counter({ name: 'clickwise_trainer_runs_total', help: 'Runs this replica finished, by trigger (no-model, events, schedule, manual) and outcome (ok, failed, aborted)', labelNames: ['trigger', 'outcome'], registers });
    this.jobErrors = new Counter({ name: 'clickwise_trainer_job_errors_total', help: 'Jobs that threw during a run, by job', labelNames: ['job'], registers });
    this.checkErrors = new Counter({ name: 'clickwise_trainer_check_errors_total', help: 'Trigger checks that failed (Kafka or Redis unreachable)', registers });
    this.leaseLost = new Counter({ name: 'clickwise_trainer_lease_lost_total', help: 'Runs stopped because this replica lost the run lease', registers });
    this.runDuration = new Histogram({ name: 'clickwise_trainer_run_duration_seconds', help: 'Wall time of a run, by outcome', labelNames: ['outcome'], buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600], registers });
    this.lastRunStart = new Gauge({ name: 'clickwise_trainer_last_run_start_seconds', help: 'Unix time the last run this replica made started', registers });
    this.lastRunEnd = new Gauge({ name: 'clickwise_trainer_last_run_end_seconds', help: 'Unix time the last run this replica made ended', registers });
    this.lastRunEvents = new Gauge({ name: 'clickwise_trainer_last_run_events', help: 'Events in the history of the last run this replica made', registers });
    this.running = new Gauge({ name: 'clickwise_trainer_running', help: '1 while this replica runs (holds the lease)', registers });
    this.eventsSinceTrained = new Gauge({ name: 'clickwise_trainer_events_since_trained', help: 'Events on clickstream.events.v1 after the offsets the last successful run trained up to (at the last check)', registers });
  }
}

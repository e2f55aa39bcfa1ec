import { defineConfig, env, port, positiveInt, serviceConfig, z } from '@clickwise/config';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: `6h`, `90m`, `30s`, `500ms`, `2d`, or a plain number of milliseconds. */
export const duration = (fallbackMs: number) =>
  z.preprocess(
    (value) => (value === '' || value === undefined ? undefined : value),
    z
      .string()
      .regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$/, 'a duration such as 6h, 90m, 30s, 500ms or a number of ms')
      .transform((raw) => {
        const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(raw)!;
        return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
      })
      .pipe(z.number().int().positive('must be more than 0 ms'))
      .default(fallbackMs),
  );

/** The trainer's configuration, parsed once from the environment by the kit's runService. */
export class TrainerConfig extends defineConfig('trainer', {
  ...serviceConfig,
  /** Ops HTTP: health, metrics, status, POST /ops/train. */
  httpPort: env('HTTP_PORT', port(8083)),
  /** This replica's name in the lease and in /status (default: host, pid and a random suffix). */
  instanceId: env('TRAINER_INSTANCE_ID', z.string().min(1).max(200).optional()),
  /** A scheduled retrain this long after the last run started (6 h by default). */
  intervalMs: env('TRAINER_INTERVAL', duration(6 * 3_600_000)),
  /** A retrain once this many events arrived on clickstream.events.v1 after the offsets the last successful run trained up to. */
  retrainAfterEvents: env('TRAINER_RETRAIN_AFTER_EVENTS', positiveInt(50_000)),
  /** How often every replica checks the triggers (ms). */
  checkMs: env('TRAINER_CHECK_MS', positiveInt(5_000)),
  /** The run lease's time to live (ms): renewed every third of it; a dead holder's lease lapses after it. */
  leaseMs: env('TRAINER_LEASE_MS', positiveInt(30_000)),
  /** After a failed run, no automatic trigger fires for this long (ms); POST /ops/train still does. */
  retryAfterMs: env('TRAINER_RETRY_AFTER_MS', positiveInt(15 * 60_000)),
  /** Train on the last this-many ms of the log (by Kafka timestamp); unset: everything Kafka retains. */
  historyMs: env('TRAINER_HISTORY_MS', z.coerce.number().int().positive().optional()),
  /** Longest a run may take to read its history from Kafka (ms). */
  readTimeoutMs: env('TRAINER_READ_TIMEOUT_MS', positiveInt(300_000)),
  /** Erasure follower's group prefix (each replica reads privacy.erasures.v1 in a group of its own). */
  groupId: env('TRAINER_GROUP_ID', z.string().min(1).default('trainer')),
  /**
   * The review corpora directory (e.g. ../shared/data/reviews) the `sentiment` job trains on
   * (ADR 0061); empty: no sentiment job. Serving must read the sentiment champion's definitions
   * before this is turned on (see the ADR).
   */
  sentimentReviews: env('TRAINER_SENTIMENT_REVIEWS', z.string().default('')),
  /** How long start-up waits to have read every erasure (ms). */
  erasureCatchUpMs: env('TRAINER_ERASURE_CATCHUP_MS', positiveInt(30_000)),
}) {}

import { isRetriable } from '@clickwise/errors';

/**
 * The one failure policy of both consumer loops (ADR 0042):
 * - a retriable error (Redis or Kafka trouble, a timeout) is retried with capped exponential backoff
 *   for as long as the partition is assigned: valid records are never dead-lettered because a
 *   dependency is down;
 * - a non-retriable error is isolated by bisection: the range is halved until the one record that
 *   fails alone is found; only that record is dead-lettered and the partition moves on.
 * The caller says how a range is handled, what "moving past a record" means (commit, or store the
 * offset through an empty range) and whether it is still its partition's owner.
 */
export interface IsolationSteps<R extends string> {
  /** Handles the records [lo, hi) of the batch; resolves to 'ok' or a result that ends the walk. */
  run(lo: number, hi: number): Promise<R | 'ok'>;
  /**
   * After a failed run: a result known otherwise (e.g. the write happened after all: 'ok'), or
   * undefined to apply the policy.
   */
  settle?(lo: number, hi: number, error: unknown): Promise<R | 'ok' | undefined>;
  /** Dead-letters record `index` (undefined: the range holds none) and moves past [lo, hi). */
  reject(index: number | undefined, lo: number, hi: number, error: unknown): Promise<R | 'ok'>;
  /** False once the partition was revoked or the loop is stopping: the range is left to the next owner. */
  alive(): boolean;
  heartbeat(): Promise<void>;
  onError?(error: unknown, lo: number, attempt: number): void;
}

export interface RetryPolicy {
  /** Cap of the exponential backoff (ms; default 5,000). */
  maxBackoffMs?: number;
  /** First backoff (ms; default 100), doubled per attempt. */
  initialBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The backoff before attempt `attempt + 1`. */
export function backoffMs(attempt: number, policy: RetryPolicy = {}): number {
  return Math.min(policy.maxBackoffMs ?? 5_000, (policy.initialBackoffMs ?? 100) * 2 ** (attempt - 1));
}

/**
 * Runs `count` records through `steps` under the policy above. Resolves to 'ok' when every record
 * was handled or dead-lettered, 'stale' when the partition was lost meanwhile, or the first other
 * result a step gave.
 */
export function handleIsolating<R extends string>(count: number, steps: IsolationSteps<R>, policy: RetryPolicy = {}): Promise<R | 'ok' | 'stale'> {
  const sleep = policy.sleep ?? defaultSleep;
  const attempt = async (lo: number, hi: number): Promise<R | 'ok' | 'stale'> => {
    for (let n = 1; ; n++) {
      if (!steps.alive()) return 'stale';
      try {
        return await steps.run(lo, hi);
      } catch (error) {
        steps.onError?.(error, lo, n);
        const settled = await steps.settle?.(lo, hi, error);
        if (settled !== undefined) return settled;
        if (!isRetriable(error)) {
          if (hi - lo <= 1) return steps.reject(lo < hi ? lo : undefined, lo, hi, error);
          const middle = lo + Math.ceil((hi - lo) / 2);
          const head = await attempt(lo, middle);
          if (head !== 'ok') return head;
          return attempt(middle, hi);
        }
        await steps.heartbeat();
        await sleep(backoffMs(n, policy));
      }
    }
  };
  return attempt(0, count);
}

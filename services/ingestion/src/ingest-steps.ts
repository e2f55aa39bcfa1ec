import { RateLimitedError, type ApiKeyRecord } from '@clickwise/api-keys';
import { OverloadedError, UnavailableError } from '@clickwise/errors';
import type { IngestionMetrics, Route } from './ingestion.metrics.js';
import type { KeyAuthority } from './ingestion.ports.js';

/** The steps the events and the catalogue paths both take: the key's rate, Kafka's acknowledgement, dead-letter payloads. */

/** A failure of a dependency as the retriable UnavailableError (back-pressure passes through). */
export function asUnavailable(error: unknown, what: string): Error {
  if (error instanceof UnavailableError || error instanceof OverloadedError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new UnavailableError(`${what} did not answer: ${reason}`, 1000, { cause: error });
}

/** JSON of a refused input for its dead letter (whatever it is). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export interface AckOptions {
  timeoutMs: number;
  /** What the caller is told when Kafka is late ("… send them again …"). */
  late: string;
  route: Route;
  metrics: IngestionMetrics;
  /** Waited for before answering, whatever happens (the dead letters of the same request). */
  alsoWait: Promise<void>;
}

/**
 * Answers once Kafka acknowledged `written`, or with UnavailableError (retry after 1 s) when that
 * takes longer than `timeoutMs`: the write goes on, and its later outcome is its own business.
 * Back-pressure is counted by route and kind; any other failure becomes UnavailableError.
 */
export async function acknowledged(written: Promise<void>, options: AckOptions): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), options.timeoutMs);
  });
  try {
    const outcome = await Promise.race([written.then(() => 'written' as const), deadline]);
    if (outcome === 'late') {
      written.catch(() => undefined);
      throw new UnavailableError(`Kafka did not acknowledge within ${options.timeoutMs} ms; ${options.late}`, 1000);
    }
  } catch (error) {
    options.metrics.backPressure.inc({ route: options.route, kind: error instanceof OverloadedError ? 'overloaded' : 'unavailable' });
    throw error instanceof OverloadedError || error instanceof UnavailableError ? error : asUnavailable(error, 'Kafka');
  } finally {
    clearTimeout(timer);
    await options.alsoWait;
  }
}

/** Spends `units` of the key's rate: RateLimitedError (429) counted by route; a dead Redis is UnavailableError. */
export async function spendRate(keys: KeyAuthority, key: ApiKeyRecord, units: number, route: Route, metrics: IngestionMetrics): Promise<void> {
  try {
    await keys.consumeRate(key, units);
  } catch (error) {
    if (error instanceof RateLimitedError) {
      metrics.rateLimited.inc({ route });
      throw error;
    }
    throw asUnavailable(error, 'Redis (rate limit)');
  }
}

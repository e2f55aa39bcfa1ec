import { DAY_MS, LONGEST_WINDOW_MS } from '@clickwise/features';

const SECOND = 1000;

/**
 * Time to live (seconds), refreshed on every write. State older than the longest window plus the
 * allowed lateness can no longer change a value; a day of margin covers a consumer that lags.
 */
export const featureTtlSeconds = {
  shopper: Math.ceil((LONGEST_WINDOW_MS + 2 * DAY_MS) / SECOND),
  session: Math.ceil((2 * DAY_MS) / SECOND),
  shopperSessions: Math.ceil((LONGEST_WINDOW_MS + 2 * DAY_MS) / SECOND),
  shared: Math.ceil((LONGEST_WINDOW_MS + 2 * DAY_MS) / SECOND),
} as const;

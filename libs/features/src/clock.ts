/**
 * A partition's stream clock: the highest event time seen on it. An event older than the clock
 * minus the allowed lateness is too late: it goes to the DLQ with the reason (never silently
 * dropped); any other event is applied where it belongs and may move the clock forward.
 */
export class StreamClock {
  constructor(
    readonly allowedLatenessMs: number,
    /** Highest event time seen (ms); -Infinity before the first event. */
    public clockMs = -Infinity,
  ) {}

  /** Whether an event at `timeMs` is admitted; advances the clock when it is. */
  admit(timeMs: number): boolean {
    if (timeMs < this.clockMs - this.allowedLatenessMs) return false;
    if (timeMs > this.clockMs) this.clockMs = timeMs;
    return true;
  }

  /** Why an event at `timeMs` was refused. */
  lateReason(timeMs: number): string {
    const behind = this.clockMs - timeMs;
    return `event time ${new Date(timeMs).toISOString()} is ${behind} ms behind the partition's stream clock ${new Date(this.clockMs).toISOString()} (allowed lateness ${this.allowedLatenessMs} ms)`;
  }
}

/** Machine-readable DLQ reason code for a too-late event. */
export const TOO_LATE = 'too_late';
/** DLQ reason code for an event of an erased shopper (no payload is kept). */
export const SHOPPER_ERASED = 'shopper_erased';

/** What the console needs of a dead letter (clickstream.dlq.v1's DeadLetter). */
export interface DeadLetterView {
  stage: string;
  source: string;
  reasonCode: string;
  reason: string;
  rejectedAtMs: number;
}

/** Dead letters of one stage and reason code. */
export interface ReasonCount {
  stage: string;
  reasonCode: string;
  count: number;
  /** The newest one's human-readable reason, source and time. */
  lastReason: string;
  lastSource: string;
  lastAtMs: number;
}

/** Counts of the dead letters read so far by stage and reason code (the console reads the DLQ from its beginning). */
export class DeadLetterTally {
  private readonly counts = new Map<string, ReasonCount>();
  private all = 0;

  add(letter: DeadLetterView): void {
    this.all++;
    const key = `${letter.stage}\u0000${letter.reasonCode}`;
    const row = this.counts.get(key) ?? { stage: letter.stage, reasonCode: letter.reasonCode, count: 0, lastReason: '', lastSource: '', lastAtMs: 0 };
    row.count++;
    if (letter.rejectedAtMs >= row.lastAtMs) {
      row.lastReason = letter.reason;
      row.lastSource = letter.source;
      row.lastAtMs = letter.rejectedAtMs;
    }
    this.counts.set(key, row);
  }

  get total(): number {
    return this.all;
  }

  /** Largest count first, then stage and code. */
  reasons(): ReasonCount[] {
    return [...this.counts.values()].map((r) => ({ ...r })).sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.reasonCode.localeCompare(b.reasonCode));
  }
}

import type { ServiceLogger } from './logger.js';

/** One named readiness condition: true when it holds. A check that throws or hangs counts as false. */
export type HealthCheck = () => boolean | Promise<boolean>;

export interface Readiness {
  ready: boolean;
  draining: boolean;
  /** When the checks last ran (unix ms). */
  checkedAtMs: number;
  /** Each named check's last result. */
  checks: Readonly<Record<string, boolean>>;
}

export interface HealthOptions {
  /** How often the checks run (ms). */
  intervalMs?: number;
  /** How long one check may take before it counts as failed (ms). */
  timeoutMs?: number;
}

/**
 * Readiness from named checks (e.g. `kafka`, `redis`, `consumers`), run periodically so a
 * readiness request never waits on (or hammers) a dead dependency; the first run happens before
 * the service listens. Draining (shutdown) makes the service unready at once. Liveness is the event loop answering and needs no check.
 */
export class Health {
  private state: Readiness;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners: ((ready: boolean) => void)[] = [];
  private probing: Promise<void> | undefined;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly checks: Readonly<Record<string, HealthCheck>>,
    private readonly logger: ServiceLogger,
    options: HealthOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.state = { ready: false, draining: false, checkedAtMs: 0, checks: Object.fromEntries(Object.keys(checks).map((name) => [name, false])) };
  }

  get readiness(): Readiness {
    return this.state;
  }

  /** Called with the new readiness whenever it changes (gRPC health follows it). */
  onChange(listener: (ready: boolean) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  drain(): void {
    this.update({ ...this.state, draining: true });
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Runs every check once (concurrent callers share one run). */
  check(): Promise<void> {
    this.probing ??= this.runChecks().finally(() => (this.probing = undefined));
    return this.probing;
  }

  private async runChecks(): Promise<void> {
    const names = Object.keys(this.checks);
    const results = await Promise.all(names.map((name) => this.runOne(this.checks[name]!)));
    this.update({ ...this.state, checkedAtMs: Date.now(), checks: Object.fromEntries(names.map((name, i) => [name, results[i]!])) });
  }

  private async runOne(check: HealthCheck): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(check),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), this.timeoutMs);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private update(next: Omit<Readiness, 'ready'>): void {
    const ready = !next.draining && Object.values(next.checks).every(Boolean);
    const before = this.state;
    this.state = { ...next, ready };
    const changed = Object.keys(next.checks).some((name) => before.checks[name] !== next.checks[name]);
    if (changed || before.ready !== ready) {
      this.logger.log(ready || next.draining ? 'info' : 'warn', 'readiness changed', { ready, draining: next.draining, ...next.checks });
    }
    if (before.ready !== ready) for (const listener of this.listeners) listener(ready);
  }
}

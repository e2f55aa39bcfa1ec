/** Log levels, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const order: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** One JSON line per entry on stderr (the same shape libs/kafka writes for kafkajs). */
export class Logger {
  constructor(
    readonly component: string,
    private threshold: LogLevel = 'info',
  ) {}

  setLevel(level: LogLevel): void {
    this.threshold = level;
  }

  enabled(level: LogLevel): boolean {
    return order[level] <= order[this.threshold];
  }

  log(level: LogLevel, msg: string, extra: Record<string, unknown> = {}): void {
    if (!this.enabled(level)) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: this.component, msg, ...extra })}\n`);
  }
}

/**
 * Runs a service's `main`: a bad configuration exits 2 with its message (every bad key listed),
 * any other start-up failure exits 1 with the stack.
 */
export function runMain(logger: Logger, main: () => Promise<void>, isConfigError: (error: unknown) => error is Error): void {
  main().catch((error: unknown) => {
    if (isConfigError(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    logger.log('error', `${logger.component} failed to start`, { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  });
}

/**
 * On SIGTERM/SIGINT: `close()` once (drain, flush), then exit 0; exit 1 when it fails or takes longer
 * than `graceMs`.
 */
export function onShutdown(logger: Logger, options: { graceMs: number; message: string; close: () => Promise<void>; beforeClose?: () => void }): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    options.beforeClose?.();
    logger.log('info', options.message, { signal });
    const force = setTimeout(() => {
      logger.log('error', 'shutdown took too long; exiting');
      process.exit(1);
    }, options.graceMs);
    force.unref();
    options.close().then(
      () => {
        logger.log('info', 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.log('error', 'shutdown failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

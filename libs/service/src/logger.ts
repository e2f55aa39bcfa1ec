import { pino, type DestinationStream, type Logger as Pino } from 'pino';

/** Log levels, most severe first (the LOG_LEVEL values). */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export type LogFields = Record<string, unknown>;

/**
 * The one structured logger of a service process: pino, one JSON object per line on stderr —
 * `{"level":"info","time":"…","service":"features","component":"…","msg":"…",…}` — for the
 * service's own code, Nest, kafkajs (libs/kafka takes it as its `logger`), Node warnings and
 * configuration errors alike.
 */
export class ServiceLogger {
  constructor(private pino: Pino) {}

  /** A logger for `service` at `level`, writing to `destination` (stderr by default). */
  static create(service: string, level: LogLevel = 'info', destination?: DestinationStream): ServiceLogger {
    return new ServiceLogger(createPino(service, level, destination));
  }

  get level(): LogLevel {
    return this.pino.level as LogLevel;
  }

  setLevel(level: LogLevel): void {
    this.pino.level = level;
  }

  /** Starts over as `service` (keeps the level unless given). */
  reset(service: string, level: LogLevel = this.level, destination?: DestinationStream): void {
    this.pino = createPino(service, level, destination);
  }

  enabled(level: LogLevel): boolean {
    return this.pino.isLevelEnabled(level);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (fields === undefined) this.pino[level](msg);
    else this.pino[level](fields, msg);
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  /** The same logger with `component` on every line (e.g. `kafkajs`, `nest`, `node`). */
  child(component: string): ServiceLogger {
    return new ServiceLogger(this.pino.child({ component }));
  }
}

function createPino(service: string, level: LogLevel, destination?: DestinationStream): Pino {
  return pino(
    {
      level,
      base: { service },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous, so the last lines before process.exit() are not lost.
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

/**
 * The process's logger. `runService` names it after the service and sets LOG_LEVEL before anything
 * else runs; Nest providers get the same instance injected as `ServiceLogger`.
 */
export const logger = ServiceLogger.create('clickwise');

/** Shorthand for `logger.log(level, msg, fields)`. */
export function log(level: LogLevel, msg: string, fields?: LogFields): void {
  logger.log(level, msg, fields);
}

/**
 * Routes Node's process warnings (e.g. a DeprecationWarning) to `target` as `warn` lines instead of
 * Node's own text on stderr. Warnings named in --disable-warning stay silent.
 */
export function routeProcessWarnings(target: ServiceLogger): void {
  const disabled = new Set<string>();
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg.startsWith('--disable-warning=')) disabled.add(arg.slice('--disable-warning='.length));
    else if (arg === '--disable-warning' && process.execArgv[i + 1]) disabled.add(process.execArgv[i + 1]!);
  }
  // Node's default listener prints text; replace it.
  process.removeAllListeners('warning');
  const node = target.child('node');
  process.on('warning', (warning) => {
    const code = (warning as Error & { code?: string }).code;
    if (disabled.has(warning.name) || (code !== undefined && disabled.has(code))) return;
    node.warn(warning.message, { warning: warning.name, ...(code ? { code } : {}) });
  });
}

import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';

/** Where the client's log goes: a service passes its structured logger (libs/service's fits). */
export interface KafkaLogger {
  /** The service's LOG_LEVEL; kafkajs then logs at that level (unless `logLevel` is given). */
  readonly level?: 'error' | 'warn' | 'info' | 'debug';
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface KafkaSettings {
  brokers: readonly string[];
  clientId: string;
  /** Receives kafkajs's log; without it, JSON lines on stderr. */
  logger?: KafkaLogger;
  /** kafkajs log level name; the logger's level, else WARN, by default. */
  logLevel?: 'NOTHING' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  /** How long a connection attempt may take (ms). */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const levels = {
  NOTHING: logLevel.NOTHING,
  ERROR: logLevel.ERROR,
  WARN: logLevel.WARN,
  INFO: logLevel.INFO,
  DEBUG: logLevel.DEBUG,
} as const;

/**
 * Conditions kafkajs meets and retries by itself during normal operation (leader elections, a
 * coordinator still loading, a rebalance, a broker not yet listening at start-up). They are
 * `debug`, not errors: a retry that finally fails surfaces to the caller (a rejected send, a
 * consumer crash), which is where it is logged as an error.
 */
const RETRIED = [
  /not the leader for that topic-partition/i,
  /NOT_LEADER/,
  /There is no leader for this topic-partition/i,
  /LEADER_NOT_AVAILABLE/,
  /coordinator is loading/i,
  /coordinator is not available/i,
  /REBALANCE_IN_PROGRESS/,
  /group is rebalancing/i,
  /Connection error/i,
  /ECONNREFUSED/,
  /Failed to connect to seed broker/i,
  /Limiting retries for the idempotent producer/,
];

/** Whether a kafkajs log entry reports an expected, retried condition. */
export function isRetriedCondition(message: unknown, error: unknown): boolean {
  // A crash means the retries ran out: never routine.
  if (typeof message === 'string' && message.startsWith('Crash')) return false;
  const text = `${typeof message === 'string' ? message : ''} ${typeof error === 'string' ? error : ''}`;
  return RETRIED.some((pattern) => pattern.test(text));
}

const byLevel = { [logLevel.ERROR]: 'error', [logLevel.WARN]: 'warn', [logLevel.INFO]: 'info', [logLevel.DEBUG]: 'debug' } as const;

/** kafkajs entries to `logger` (retried conditions as debug), or JSON lines on stderr without one. */
function logCreator(logger: KafkaLogger | undefined) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp, logger: _name, ...extra } = log;
      const retried = isRetriedCondition(message, extra.error);
      if (logger) {
        const to = retried ? 'debug' : (byLevel[level as keyof typeof byLevel] ?? 'info');
        logger[to](String(message), extra);
        return;
      }
      if (retried) return;
      process.stderr.write(`${JSON.stringify({ time: timestamp, level: logLevel[level], component: 'kafkajs', msg: message, ...extra })}\n`);
    };
}

/** Builds the one Kafka client a process uses. */
export function createKafka(settings: KafkaSettings): Kafka {
  const config: KafkaConfig = {
    brokers: [...settings.brokers],
    clientId: settings.clientId,
    logLevel: levels[settings.logLevel ?? (settings.logger?.level?.toUpperCase() as keyof typeof levels | undefined) ?? 'WARN'],
    logCreator: logCreator(settings.logger),
    connectionTimeout: settings.connectionTimeoutMs ?? 3000,
    requestTimeout: settings.requestTimeoutMs ?? 30000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  };
  return new Kafka(config);
}

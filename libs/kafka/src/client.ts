import { Kafka, logLevel, type KafkaConfig, type LogEntry } from 'kafkajs';

export interface KafkaSettings {
  brokers: readonly string[];
  clientId: string;
  /** kafkajs log level name; WARN by default. */
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

/** One JSON line per kafkajs log entry on stderr, so service logs stay machine-readable. */
function logCreator() {
  return ({ level, log }: LogEntry) => {
    const { message, timestamp, ...extra } = log;
    // A coordinator that is still loading is normal during start-up; kafkajs retries it.
    if (typeof extra.error === 'string' && extra.error.includes('coordinator is not available')) return;
    // Bounded retries are deliberate (ADR 0001): callers get back-pressure instead of a hang, and
    // ingestion dedupes by event id, so a retried batch is never double-counted downstream.
    if (typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer')) return;
    process.stderr.write(
      `${JSON.stringify({ time: timestamp, level: logLevel[level], component: 'kafkajs', msg: message, ...extra })}\n`,
    );
  };
}

/** Builds the one Kafka client a process uses. */
export function createKafka(settings: KafkaSettings): Kafka {
  const config: KafkaConfig = {
    brokers: [...settings.brokers],
    clientId: settings.clientId,
    logLevel: levels[settings.logLevel ?? 'WARN'],
    logCreator,
    connectionTimeout: settings.connectionTimeoutMs ?? 3000,
    requestTimeout: settings.requestTimeoutMs ?? 30000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
  };
  return new Kafka(config);
}

/** Where libs/kafka logs (the service's structured logger; JSON lines on stderr by default). */
export interface KafkaLogger {
  /** The service's LOG_LEVEL, when known: the client library then logs at that level. */
  readonly level?: 'error' | 'warn' | 'info' | 'debug';
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type KafkaLogLevel = 'NOTHING' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';

const rank: Record<KafkaLogLevel, number> = { NOTHING: 0, ERROR: 1, WARN: 2, INFO: 3, DEBUG: 4 };

/** One JSON line per entry on stderr (component "kafka"), entries below `level` dropped. */
export function stderrLogger(level: KafkaLogLevel = 'WARN'): KafkaLogger {
  const write = (entry: KafkaLogLevel, msg: string, fields: Record<string, unknown> = {}) => {
    if (rank[entry] > rank[level]) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: entry.toLowerCase(), component: 'kafka', msg, ...fields })}\n`);
  };
  return {
    debug: (msg, fields) => write('DEBUG', msg, fields),
    info: (msg, fields) => write('INFO', msg, fields),
    warn: (msg, fields) => write('WARN', msg, fields),
    error: (msg, fields) => write('ERROR', msg, fields),
  };
}

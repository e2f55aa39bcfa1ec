type Level = 'error' | 'warn' | 'info' | 'debug';
const order: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };
let threshold: Level = 'info';

export function setLogLevel(level: Level): void {
  threshold = level;
}

/** One JSON line per entry on stderr (the same shape libs/kafka writes for kafkajs). */
export function log(level: Level, msg: string, extra: Record<string, unknown> = {}): void {
  if (order[level] > order[threshold]) return;
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, component: 'features', msg, ...extra })}\n`);
}

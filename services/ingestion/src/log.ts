import { Logger, type LogLevel } from '@clickwise/telemetry';

/** The ingestion service's logger (JSON lines on stderr). */
export const logger = new Logger('ingestion');

export function log(level: LogLevel, msg: string, extra?: Record<string, unknown>): void {
  logger.log(level, msg, extra);
}

import { Logger, type LogLevel } from '@clickwise/telemetry';

/** The features service's logger (JSON lines on stderr). */
export const logger = new Logger('features');

export function log(level: LogLevel, msg: string, extra?: Record<string, unknown>): void {
  logger.log(level, msg, extra);
}

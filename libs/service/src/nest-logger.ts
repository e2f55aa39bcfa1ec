import type { LoggerService } from '@nestjs/common';
import type { LogFields, ServiceLogger } from './logger.js';

/**
 * Nest's logger routed to the service logger. Nest's `log` level is its start-up chatter (modules
 * initialised, routes mapped), so it is `debug`, as are `verbose` and `debug`; `fatal` is `error`.
 * The context Nest passes (e.g. `RouterExplorer`) becomes a `context` field.
 */
export class NestLoggerBridge implements LoggerService {
  private readonly target: ServiceLogger;

  constructor(logger: ServiceLogger) {
    this.target = logger.child('nest');
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  private write(level: 'error' | 'warn' | 'info' | 'debug', message: unknown, rest: unknown[]): void {
    if (!this.target.enabled(level)) return;
    // Nest passes (message, context) or, for errors, (message, stack, context).
    const fields: LogFields = {};
    const strings = rest.filter((r): r is string => typeof r === 'string');
    const context = strings.at(-1);
    if (context !== undefined) fields.context = context;
    if (strings.length > 1) fields.stack = strings[0];
    if (message instanceof Error) {
      fields.stack = message.stack;
      this.target.log(level, message.message, fields);
    } else if (typeof message === 'string') {
      this.target.log(level, message, fields);
    } else {
      this.target.log(level, 'nest', { ...fields, value: message });
    }
  }
}

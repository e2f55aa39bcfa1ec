import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** One `clickwise` subcommand. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text: usage line, options, what it prints. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** parseArgs with `--help` and `--json` understood by every command. */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(argv: string[], options: O) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, ...options },
  });
}

/** Prints one JSON object as the last line of output (the `--json` contract). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const tty = process.stderr.isTTY;

/** Progress and log lines go to stderr so stdout stays for results. */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function dim(text: string): string {
  return tty ? `\x1b[2m${text}\x1b[0m` : text;
}

export function bold(text: string): string {
  return tty ? `\x1b[1m${text}\x1b[0m` : text;
}

/** A one-line progress indicator that redraws in place on a terminal and prints sparsely otherwise. */
export class Progress {
  private last = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number, extra = ''): void {
    const now = Date.now();
    if (now - this.last < (tty ? 100 : 5000) && done < this.total) return;
    this.last = now;
    const pct = this.total > 0 ? Math.min(100, Math.floor((done / this.total) * 100)) : 100;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    const line = `${this.label} ${bar} ${pct}% ${done}/${this.total} ${extra}`;
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else process.stderr.write(`${line}\n`);
  }

  done(): void {
    if (tty) process.stderr.write('\n');
  }
}

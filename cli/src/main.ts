#!/usr/bin/env node
import { bold, type Command } from './command.js';
import { benchCommand } from './commands/bench.js';
import { catalogCommand } from './commands/catalog.js';
import { watchCommand } from './commands/watch.js';
import { checkCommand } from './commands/check.js';
import { deployCommand } from './commands/deploy.js';
import { eraseCommand } from './commands/erase.js';
import { evaluateCommand } from './commands/evaluate.js';
import { infraCommand } from './commands/infra.js';
import { keysCommand } from './commands/keys.js';
import { modelsCommand } from './commands/models.js';
import { downCommand, statusCommand, upCommand } from './commands/platform.js';
import { recommendCommand, similarCommand } from './commands/recommend.js';
import { replayCommand } from './commands/replay.js';
import { simulateCommand } from './commands/simulate.js';
import { testCommand } from './commands/test.js';
import { tfBackendCommand } from './commands/tf-backend.js';

const commands: Command[] = [upCommand, downCommand, statusCommand, testCommand, checkCommand, infraCommand, benchCommand, replayCommand, simulateCommand, keysCommand, catalogCommand, eraseCommand, modelsCommand, evaluateCommand, tfBackendCommand, deployCommand, watchCommand, recommendCommand, similarCommand];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `${bold('clickwise')}: real-time shopper-behaviour platform — operator CLI

Usage: ./clickwise <command> [options]   (./clickwise <command> --help for more)

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Every command that reports figures takes --json: its last line of output is then one JSON object.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`clickwise: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);

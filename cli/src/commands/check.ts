import { spawnSync } from 'node:child_process';
import { info, parseCommandArgs, type Command } from '../command.js';
import { settings } from '../settings.js';

const steps: { name: string; command: string; args: string[] }[] = [
  { name: 'type-check (tsc -b, the whole repo)', command: 'pnpm', args: ['exec', 'tsc', '-b'] },
  { name: 'typed lint and import boundaries (eslint)', command: 'pnpm', args: ['exec', 'eslint', '--max-warnings', '0', '.'] },
  { name: 'protobuf lint (buf lint)', command: 'pnpm', args: ['exec', 'buf', 'lint'] },
];

export const checkCommand: Command = {
  name: 'check',
  summary: 'type-check and lint the whole repo (tsc, eslint with import boundaries, buf lint)',
  help: `Usage: clickwise check

Runs, in order: tsc -b over every package, eslint (typed rules, STYLE.md import boundaries) and
buf lint over proto/. Exits non-zero at the first failing step.`,
  run(argv) {
    parseCommandArgs(argv, {});
    for (const step of steps) {
      info(`▶ ${step.name}`);
      const result = spawnSync(step.command, step.args, { cwd: settings.root, stdio: 'inherit' });
      if (result.status !== 0) {
        info(`✗ ${step.name} failed`);
        return Promise.resolve(result.status ?? 1);
      }
    }
    info('✓ all checks passed');
    return Promise.resolve(0);
  },
};

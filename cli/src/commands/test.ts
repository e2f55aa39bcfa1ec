import { runScript } from '@clickwise/local-infra';
import { startTestInfra } from '@clickwise/testing';
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bold, info, parseCommandArgs, printJson, type Command } from '../command.js';
import { settings } from '../settings.js';

const UNIT = ['libs/*/dist/**/*.spec.js', 'services/*/dist/**/*.spec.js', 'cli/dist/**/*.spec.js'];
const INTEGRATION = ['tests/dist/**/*.spec.js'];

function specFiles(patterns: string[], filters: string[], kind: 'unit' | 'integration' | 'all'): string[] {
  const files = patterns.flatMap((p) => globSync(p, { cwd: settings.root })).sort();
  // tsc -b leaves the output of a deleted or renamed spec in dist/: run only specs whose source exists.
  const hasSource = (f: string) => existsSync(join(settings.root, f.replace('/dist/', '/src/').replace(/\.js$/, '.ts')));
  return files.filter((f) => {
    if (!hasSource(f)) return false;
    const isInt = f.endsWith('.int.spec.js') || f.startsWith('tests/');
    if (kind === 'unit' && isInt) return false;
    if (kind === 'integration' && !isInt) return false;
    return filters.length === 0 || filters.some((needle) => f.includes(needle));
  });
}

export const testCommand: Command = {
  name: 'test',
  summary: 'run the whole suite (unit and integration) against real Kafka and Redis',
  help: `Usage: clickwise test [--unit | --integration] [--ci] [--json] [FILTER…]

Builds, provides Kafka and Redis, runs every *.spec.ts (compiled) with Node's test runner, and
stops what it started. FILTER keeps spec files whose path contains it.

Kafka and Redis come from KAFKA_BROKERS and REDIS_URL when both are set; otherwise from
Testcontainers when a container engine answers; otherwise from deploy/local/kafka.sh and redis.sh
on TEST_KAFKA_PORT (19092) and TEST_REDIS_PORT (16379). The first line says which.
Tests that stop or flush a broker or Redis start instances of their own.

The last line is "N passed, N failed, N skipped" (also written to .clickwise/test-summary.txt);
with --json a JSON object with the same totals follows it.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      unit: { type: 'boolean' },
      integration: { type: 'boolean' },
      ci: { type: 'boolean' },
    });
    const kind = values.unit ? 'unit' : values.integration ? 'integration' : 'all';
    const files = specFiles([...UNIT, ...INTEGRATION], positionals, kind);
    if (files.length === 0) {
      info('no spec files match');
      return 1;
    }
    mkdirSync(settings.state, { recursive: true });
    const summaryFile = join(settings.state, 'test-summary.txt');
    rmSync(summaryFile, { force: true });

    const needsInfra = files.some((f) => f.endsWith('.int.spec.js') || f.startsWith('tests/'));
    if (needsInfra) {
      // Independent clients the integration tests use (kcat); installed by the project, when missing.
      const tools = await runScript('test-tools.sh', [], {});
      if (tools.code !== 0) info(`deploy/local/test-tools.sh failed (exit ${tools.code}); tests that need its tools will fail:\n${tools.stderr}`);
      else if (tools.stderr.trim() !== '') info(tools.stderr.trim());
    }
    const infra = needsInfra
      ? await startTestInfra({ kafkaPort: settings.testKafkaPort, redisPort: settings.testRedisPort })
      : undefined;
    if (infra) info(bold(infra.describe()));
    else info('infra: none needed (unit tests only)');
    info(`running ${files.length} spec files`);

    const reporter = join(settings.root, 'cli/dist/test-summary-reporter.js');
    const args = [
      '--enable-source-maps',
      '--test',
      '--test-concurrency=2',
      '--test-timeout=600000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      `--test-reporter=${reporter}`,
      `--test-reporter-destination=${summaryFile}`,
      ...files,
    ];
    const env = {
      ...process.env,
      ...(infra ? { KAFKA_BROKERS: infra.kafkaBrokers.join(','), REDIS_URL: infra.redisUrl } : {}),
      CLICKWISE_TEST_INFRA: infra?.provider ?? 'none',
    };
    let code: number;
    try {
      code = await new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, args, { cwd: settings.root, env, stdio: 'inherit' });
        child.on('error', reject);
        child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
      });
    } finally {
      if (infra) {
        info(`stopping test infra (${infra.provider})`);
        await infra.stop();
      }
    }
    let summary = '0 passed, 1 failed';
    try {
      const { readFileSync } = await import('node:fs');
      summary = readFileSync(summaryFile, 'utf8').trim().split('\n').at(-1) ?? summary;
    } catch {
      info('the test runner wrote no summary');
      code = code || 1;
    }
    info(`spec files: ${files.map((f) => relative('.', f)).length}; infra: ${infra?.provider ?? 'none'}`);
    console.log(summary);
    if (values.json) {
      const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
      printJson({ passed: count('passed'), failed: count('failed'), skipped: count('skipped'), specFiles: files.length, infra: infra?.provider ?? 'none', exitCode: code });
    }
    return code;
  },
};

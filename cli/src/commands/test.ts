import { runScript } from '@clickwise/local-infra';
import { startTestInfra } from '@clickwise/testing';
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** A spec bounded by wall-clock latency through the pipeline: run alone (see `run`). */
const isLatencySpec = (f: string) => f.endsWith('.latency.int.spec.js');

/** One `node --test` run over `files`; its totals line goes to `summaryFile`. */
function runNodeTests(files: string[], concurrency: number, summaryFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const reporter = join(settings.root, 'cli/dist/test-summary-reporter.js');
  const args = [
    '--enable-source-maps',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${summaryFile}`,
    ...files,
  ];
  return new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: settings.root, env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
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
Tests that stop or flush a broker or Redis start instances of their own. Spec files run two at a
time, except *.latency.int.spec files (a wall-clock bound through the pipeline), which run after
the others, one at a time (ADR 0084).

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

    const env = {
      ...process.env,
      ...(infra ? { KAFKA_BROKERS: infra.kafkaBrokers.join(','), REDIS_URL: infra.redisUrl } : {}),
      CLICKWISE_TEST_INFRA: infra?.provider ?? 'none',
    };
    // Specs whose assertion is a wall-clock bound through the whole pipeline (*.latency.int.spec)
    // run after the others, one at a time: beside another spec file on two cores their bound would
    // measure that neighbour, not the platform (ADR 0084).
    const alone = files.filter(isLatencySpec);
    const together = files.filter((f) => !isLatencySpec(f));
    const phases = [
      { files: together, concurrency: 2, summary: join(settings.state, 'test-summary.together.txt') },
      { files: alone, concurrency: 1, summary: join(settings.state, 'test-summary.alone.txt') },
    ].filter((p) => p.files.length > 0);
    let code = 0;
    try {
      for (const phase of phases) {
        rmSync(phase.summary, { force: true });
        if (phase.concurrency === 1) info(`running ${phase.files.length} latency-bound spec file(s) alone`);
        code = (await runNodeTests(phase.files, phase.concurrency, phase.summary, env)) || code;
      }
    } finally {
      if (infra) {
        info(`stopping test infra (${infra.provider})`);
        await infra.stop();
      }
    }
    const totals = { passed: 0, failed: 0, skipped: 0 };
    for (const phase of phases) {
      let line: string | undefined;
      try {
        line = readFileSync(phase.summary, 'utf8').trim().split('\n').at(-1);
      } catch {
        line = undefined;
      }
      if (!line) {
        info('the test runner wrote no summary');
        code = code || 1;
        totals.failed++;
        continue;
      }
      for (const word of ['passed', 'failed', 'skipped'] as const) totals[word] += Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
    }
    const summary = `${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`;
    writeFileSync(summaryFile, `${summary}\n`);
    info(`spec files: ${files.map((f) => relative('.', f)).length}; infra: ${infra?.provider ?? 'none'}`);
    console.log(summary);
    if (values.json) {
      const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(summary)?.[1] ?? 0);
      printJson({ passed: count('passed'), failed: count('failed'), skipped: count('skipped'), specFiles: files.length, infra: infra?.provider ?? 'none', exitCode: code });
    }
    return code;
  },
};

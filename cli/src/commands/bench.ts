import { runScript } from '@clickwise/local-infra';
import { spawn } from 'node:child_process';
import { existsSync, globSync } from 'node:fs';
import { basename, join } from 'node:path';
import { info, type Command } from '../command.js';
import { infraStatus, startInfra } from '../infra.js';
import { settings } from '../settings.js';

/** Benchmarks that use no Kafka or Redis. */
const NO_INFRA = new Set(['train', 'sequence', 'calibration-backtest', 'refit-backtest']);
/** Benchmarks that drive their gRPC service with ghz (deploy/local/bench-tools.sh installs it, pinned). */
const NEEDS_GHZ = new Set(['predict', 'recommend']);

function benches(): string[] {
  return globSync('tests/dist/bench/*.bench.js', { cwd: settings.root })
    .map((f) => basename(f, '.bench.js'))
    .sort();
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'run a benchmark (code in tests/src/bench) and print its figures and the hardware',
  get help() {
    return `Usage: clickwise bench NAME [options] [--json]

Benchmarks: ${benches().join(', ') || '(none built)'}
Runs against the platform's Kafka and Redis (started if not running; KAFKA_PORT/REDIS_PORT).
Each prints its figures and the hardware it ran on; --json makes the last line one JSON object.
\`clickwise bench NAME --help\` lists a benchmark's own options.`;
  },
  async run(argv) {
    const [name, ...rest] = argv;
    const file = name ? join(settings.root, 'tests/dist/bench', `${name}.bench.js`) : '';
    if (!name || !existsSync(file)) {
      info(this.help);
      return 2;
    }
    if (NEEDS_GHZ.has(name) && !rest.includes('--help')) {
      const tools = await runScript('bench-tools.sh', [], {});
      info(tools.stderr.trim());
      if (tools.code !== 0) {
        info(`deploy/local/bench-tools.sh failed (exit ${tools.code}): bench ${name} needs ghz`);
        return 1;
      }
    }
    const status = await infraStatus();
    // bench train (and the calibration and refit backtests) reads a file and needs neither Kafka nor Redis.
    if (!NO_INFRA.has(name) && (status.kafka.state !== 'running' || status.redis.state !== 'running' || status.missingTopics.length > 0)) {
      await startInfra();
    }
    return new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['--enable-source-maps', file, ...rest], {
        cwd: settings.root,
        stdio: 'inherit',
        env: {
          ...process.env,
          KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? `127.0.0.1:${settings.kafkaPort}`,
          REDIS_URL: process.env.REDIS_URL ?? `redis://127.0.0.1:${settings.redisPort}`,
        },
      });
      child.on('error', reject);
      child.on('exit', (code) => resolve(code ?? 1));
    });
  },
};

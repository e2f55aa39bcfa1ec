import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { info } from './command.js';
import { settings } from './settings.js';

/** A platform service that `up` runs as its own process. */
export interface ServiceSpec {
  name: string;
  /** Environment for the process, given the platform's Kafka and Redis. */
  env(infra: { kafkaBrokers: string; redisUrl: string }): Record<string, string>;
  /** URL that answers 200 once the service is ready. */
  readyUrl: string;
}

/** The services, in start order. A service whose build output is missing is skipped. */
export const services: ServiceSpec[] = [
  {
    // HTTP POST /v1/events and gRPC IngestService; INGESTION_HTTP_PORT / INGESTION_GRPC_PORT move it.
    name: 'ingestion',
    env: (infra) => ({
      KAFKA_BROKERS: infra.kafkaBrokers,
      REDIS_URL: infra.redisUrl,
      HTTP_PORT: process.env.INGESTION_HTTP_PORT || '8080',
      GRPC_PORT: process.env.INGESTION_GRPC_PORT || '50051',
    }),
    readyUrl: `http://127.0.0.1:${process.env.INGESTION_HTTP_PORT || '8080'}/health/ready`,
  },
  {
    // Streaming features (ops HTTP: health, metrics, status, POST /ops/erasures); FEATURES_HTTP_PORT moves it.
    name: 'features',
    env: (infra) => ({
      KAFKA_BROKERS: infra.kafkaBrokers,
      REDIS_URL: infra.redisUrl,
      HTTP_PORT: process.env.FEATURES_HTTP_PORT || '8082',
    }),
    readyUrl: `http://127.0.0.1:${process.env.FEATURES_HTTP_PORT || '8082'}/health/ready`,
  },
];

function entry(name: string): string {
  return join(settings.root, 'services', name, 'dist', 'main.js');
}

function pidFile(name: string): string {
  return join(settings.state, 'run', `${name}.pid`);
}

export function logFile(name: string): string {
  return join(settings.state, 'logs', `${name}.log`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readPid(name: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(name), 'utf8'));
    return Number.isInteger(pid) && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function ready(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

export function availableServices(): ServiceSpec[] {
  return services.filter((s) => existsSync(entry(s.name)));
}

/** Starts a service in the background (if not running) and waits until it is ready. */
export async function startService(spec: ServiceSpec, infra: { kafkaBrokers: string; redisUrl: string }): Promise<number> {
  const running = readPid(spec.name);
  if (running !== undefined) {
    info(`${spec.name}: already running (pid ${running})`);
    return running;
  }
  mkdirSync(join(settings.state, 'run'), { recursive: true });
  mkdirSync(join(settings.state, 'logs'), { recursive: true });
  const log = openSync(logFile(spec.name), 'a');
  const child = spawn(process.execPath, ['--enable-source-maps', entry(spec.name)], {
    cwd: settings.root,
    env: { ...process.env, ...spec.env(infra) },
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not start`);
  writeFileSync(pidFile(spec.name), String(pid));
  const deadline = Date.now() + 60_000;
  while (!(await ready(spec.readyUrl))) {
    if (!alive(pid)) throw new Error(`${spec.name}: exited during start-up; see ${logFile(spec.name)}`);
    if (Date.now() > deadline) throw new Error(`${spec.name}: not ready after 60 s; see ${logFile(spec.name)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  info(`${spec.name}: ready (pid ${pid}, log ${logFile(spec.name)})`);
  return pid;
}

export async function stopService(name: string): Promise<void> {
  const pid = readPid(name);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  info(`${name}: stopped`);
}

export async function serviceStatus(): Promise<{ name: string; state: 'running' | 'stopped'; pid?: number; ready: boolean }[]> {
  return Promise.all(
    availableServices().map(async (s) => {
      const pid = readPid(s.name);
      return pid === undefined
        ? { name: s.name, state: 'stopped' as const, ready: false }
        : { name: s.name, state: 'running' as const, pid, ready: await ready(s.readyUrl) };
    }),
  );
}

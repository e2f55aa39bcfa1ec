import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listManifests, platformPorts, serviceCommand, serviceDir, serviceUrl, type ServiceManifest } from '@clickwise/local-infra';
import { info } from './command.js';
import { settings } from './settings.js';

/** A platform service that `up` runs as its own process, from its manifest (services/<name>/service.json). */
export interface ServiceSpec {
  name: string;
  manifest: ServiceManifest;
  /** Its ports on the local platform (each manifest port's platformEnv, e.g. INGESTION_HTTP_PORT, moves it). */
  ports: Record<string, number>;
  /** URL that answers 200 once the service is ready. */
  readyUrl: string;
}

function specOf(manifest: ServiceManifest): ServiceSpec {
  const ports = platformPorts(manifest);
  return { name: manifest.name, manifest, ports, readyUrl: serviceUrl(manifest, ports, 'ready') };
}

/** The services, in start order. */
export const services: ServiceSpec[] = listManifests(settings.root).map(specOf);

function entry(spec: ServiceSpec): string {
  return join(serviceDir(spec.name, settings.root), spec.manifest.entry);
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
  return services.filter((s) => existsSync(entry(s)));
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
  const command = serviceCommand(spec.manifest, spec.ports, settings.root);
  const child = spawn(process.execPath, command.args, {
    cwd: settings.root,
    env: { ...process.env, KAFKA_BROKERS: infra.kafkaBrokers, REDIS_URL: infra.redisUrl, ...command.env },
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

/** Base URL of a service on the local platform (its manifest's HTTP port, moved by e.g. INGESTION_HTTP_PORT). */
export function serviceOrigin(name: string): string {
  const spec = services.find((s) => s.name === name);
  if (!spec) throw new Error(`no service "${name}" (services/*/service.json)`);
  return new URL(spec.readyUrl).origin;
}

/**
 * The console's scrape targets on the local platform (CONSOLE_SCRAPE_TARGETS): every other
 * service's /metrics on the ports `up` starts it on (moved by e.g. FEATURES_HTTP_PORT).
 */
export function consoleScrapeTargets(): string {
  return services
    .filter((s) => s.name !== 'console')
    .map((s) => `${s.name}=${serviceUrl(s.manifest, s.ports, 'metrics')}`)
    .join(',');
}

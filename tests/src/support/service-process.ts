import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readManifest, serviceCommand, serviceUrl } from '@clickwise/local-infra';
import { freePort, repoRoot, waitFor } from '@clickwise/testing';

/** A platform service running as its own process, started from its manifest (services/<name>/service.json). */
export interface ServiceProcess {
  /** Base URL of its HTTP port. */
  url: string;
  /** Every port of the manifest, by name (e.g. `http`, `grpc`). */
  ports: Record<string, number>;
  child: ChildProcess;
  /** What the process wrote to stdout/stderr (the last 256 KiB). */
  output(): string;
  /** Resolves with the exit code (null after a signal). */
  exited: Promise<number | null>;
  /** SIGKILL, as in a crash, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait (SIGKILL after 40 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts service `name` as its manifest says (node flags, entry), each of its ports on a free port
 * (or the one given in `options.ports`), with `env` on top of this process's environment; with
 * `ready` (the default), waits until the manifest's ready path answers 200, and on failure kills it
 * and throws with its output. `entry` runs another compiled file of the service than the manifest's
 * (a test entry under dist/testing/, e.g. the trainer with a fixture job).
 */
export async function startServiceProcess(
  name: string,
  env: Record<string, string>,
  options: { ready?: boolean; ports?: Record<string, number>; entry?: string } = {},
): Promise<ServiceProcess> {
  // A free port can be taken by another process between freePort() and the service's listen
  // (tests run two files at a time): a start-up that fails with EADDRINUSE on ports this function
  // chose is retried on new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(name, env, options);
    } catch (error) {
      const portRace = error instanceof PortTakenError && !options.ports;
      if (!portRace || attempt >= 3) throw error;
    }
  }
}

/** The service exited during start-up because a port it was given was already taken. */
class PortTakenError extends Error {}

async function startOnce(
  name: string,
  env: Record<string, string>,
  options: { ready?: boolean; ports?: Record<string, number>; entry?: string },
): Promise<ServiceProcess> {
  const manifest = readManifest(name);
  const ports: Record<string, number> = {};
  for (const p of manifest.ports) ports[p.name] = options.ports?.[p.name] ?? (await freePort());
  const command = serviceCommand(options.entry ? { ...manifest, entry: options.entry } : manifest, ports);
  const child = spawn(process.execPath, command.args, {
    cwd: repoRoot(),
    env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...command.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  // CW_SERVICE_OUTPUT_DIR=DIR keeps each service's whole output in DIR/<name>-<pid>-<start ms>.log
  // (for a benchmark's diagnosis, e.g. a service.json node flag such as --trace-gc).
  const tee = process.env.CW_SERVICE_OUTPUT_DIR;
  if (tee) {
    const file = `${tee}/${name}-${child.pid}-${Date.now()}.log`;
    const write = (chunk: Buffer) => appendFileSync(file, chunk);
    child.stdout.on('data', write);
    child.stderr.on('data', write);
  }
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  const url = new URL(serviceUrl(manifest, ports, 'live')).origin;
  const readyUrl = serviceUrl(manifest, ports, 'ready');
  if (options.ready ?? true) {
    try {
      await waitFor(
        async () => {
          if (dead) return true; // answered below, at once (not after the whole timeout)
          const response = await fetch(readyUrl, { signal: AbortSignal.timeout(1000) });
          return response.ok;
        },
        { timeoutMs: 60_000, intervalMs: 100, message: `${name} to be ready` },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- service output ---\n${output}`, { cause: error });
    }
    if (dead) {
      const message = `${name} exited during start-up:\n${output}`;
      throw output.includes('EADDRINUSE') ? new PortTakenError(message) : new Error(message);
    }
  }
  return {
    url,
    ports,
    child,
    output: () => output,
    exited,
    async kill() {
      if (!dead) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (!dead) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

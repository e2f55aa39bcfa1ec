import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, waitFor } from '@clickwise/testing';

/** A platform service running as its own process (`node services/<name>/dist/main.js`). */
export interface ServiceProcess {
  /** Base URL of its HTTP port. */
  url: string;
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
 * Starts `services/<name>/dist/main.js` with `env` on top of this process's environment; with
 * `ready` (the default), waits until `<url>/health/ready` answers 200, and on failure kills it and
 * throws with its output.
 */
export async function startServiceProcess(
  name: string,
  httpPort: number,
  env: Record<string, string>,
  options: { ready?: boolean } = {},
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', join(repoRoot(), 'services', name, 'dist', 'main.js')],
    {
      cwd: repoRoot(),
      env: { ...process.env, HTTP_PORT: String(httpPort), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  const url = `http://127.0.0.1:${httpPort}`;
  if (options.ready ?? true) {
    try {
      await waitFor(
        async () => {
          if (dead) throw new Error(`${name} exited during start-up:\n${output}`);
          const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1000) });
          return response.ok;
        },
        { timeoutMs: 60_000, intervalMs: 100, message: `${name} to be ready` },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- service output ---\n${output}`, { cause: error });
    }
  }
  return {
    url,
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

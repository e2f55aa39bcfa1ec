import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** The repository root (the folder holding pnpm-workspace.yaml). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the repository root');
    dir = up;
  }
  return dir;
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a deploy/local script with extra env; never throws for a non-zero exit. */
export async function runScript(script: string, args: string[], env: Record<string, string>): Promise<ScriptResult> {
  try {
    const { stdout, stderr } = await run(join(repoRoot(), 'deploy/local', script), args, {
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function mustRun(script: string, args: string[], env: Record<string, string>): Promise<ScriptResult> {
  const result = await runScript(script, args, env);
  if (result.code !== 0) {
    throw new Error(`${script} ${args.join(' ')} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/**
 * A server one deploy/local script manages (`start`, `stop`, `kill`, `status`), in `dir`, with the
 * settings `env` gives the script.
 */
abstract class LocalServer {
  protected constructor(
    private readonly script: string,
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  abstract get env(): Record<string, string>;

  async start(): Promise<void> {
    await mustRun(this.script, ['start'], this.env);
  }

  async stop(): Promise<void> {
    await mustRun(this.script, ['stop'], this.env);
  }

  /** SIGKILL, as in a crash. */
  async kill(): Promise<void> {
    await mustRun(this.script, ['kill'], this.env);
  }

  async status(): Promise<ScriptResult> {
    return runScript(this.script, ['status'], this.env);
  }

  /** Stops the server and, when it was a test's own, deletes its folder. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** A Kafka broker started by deploy/local/kafka.sh in its own folder and ports. */
export class LocalKafka extends LocalServer {
  private constructor(
    port: number,
    dir: string,
    ownsDir: boolean,
    /** The KRaft controller's listener: port + 1 for the platform's broker, a free port of its own otherwise. */
    readonly controllerPort = port + 1,
  ) {
    super('kafka.sh', port, dir, ownsDir);
  }

  /** Starts a broker of its own on free ports in a temporary folder. */
  static async startOwn(): Promise<LocalKafka> {
    const port = await freePort();
    // Its own free port, not port + 1: that one may be a client connection's ephemeral port (a
    // broker of a test then failed with "Address already in use").
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'clickwise-kafka-'));
    const kafka = new LocalKafka(port, dir, true, controllerPort);
    await kafka.start();
    return kafka;
  }

  /** The broker `./clickwise infra` manages, on `port`. */
  static shared(port: number, dir: string): LocalKafka {
    return new LocalKafka(port, dir, false);
  }

  get env(): Record<string, string> {
    return { KAFKA_PORT: String(this.port), KAFKA_CONTROLLER_PORT: String(this.controllerPort), KAFKA_DIR: this.dir };
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }
}

/** A Redis server started by deploy/local/redis.sh in its own folder and port. */
export class LocalRedis extends LocalServer {
  private constructor(
    port: number,
    dir: string,
    ownsDir: boolean,
    private readonly persist = false,
  ) {
    super('redis.sh', port, dir, ownsDir);
  }

  static async startOwn(): Promise<LocalRedis> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'clickwise-redis-'));
    const redis = new LocalRedis(port, dir, true);
    await redis.start();
    return redis;
  }

  /** The Redis `./clickwise infra` manages, on `port`; `persist`: an append-only file in `dir`. */
  static shared(port: number, dir: string, options: { persist?: boolean } = {}): LocalRedis {
    return new LocalRedis(port, dir, false, options.persist ?? false);
  }

  get env(): Record<string, string> {
    return { REDIS_PORT: String(this.port), REDIS_DIR: this.dir, ...(this.persist ? { REDIS_PERSIST: '1' } : {}) };
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
}

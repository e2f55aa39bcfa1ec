import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@clickwise/testing';

/** The RetailRocket week (../shared/data beside the clone). */
export const RETAILROCKET = join(repoRoot(), '..', 'shared', 'data', 'retailrocket-week', 'events.tsv');

/** Runs `node cli/dist/main.js ARGS` and returns its exit code and output. */
export function execCli(
  args: string[],
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--enable-source-maps', join(repoRoot(), 'cli/dist/main.js'), ...args],
      { cwd: repoRoot(), env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs `node cli/dist/main.js ARGS --json` and returns its exit code and last-line JSON. */
export async function runCli<T = Record<string, unknown>>(
  args: string[],
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<{ code: number; json: T; stderr: string }> {
  const { code, stdout, stderr } = await execCli([...args, '--json'], env, options);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return { code, json: JSON.parse(last) as T, stderr };
  } catch {
    throw new Error(`clickwise ${args.join(' ')}: no JSON line (exit ${code})\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
}

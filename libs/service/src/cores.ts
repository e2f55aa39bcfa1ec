import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from '@clickwise/config';

/**
 * CPUs a cgroup's quota allows, from cgroup v2's `cpu.max` (`<quota> <period>` or `max <period>`)
 * or v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us`: the quota rounded up, undefined when unlimited
 * or unreadable. A Kubernetes CPU limit of 2 reads `200000 100000`.
 */
export function cgroupCpuLimit(read: (path: string) => string | undefined = readOrUndefined): number | undefined {
  const v2 = read('/sys/fs/cgroup/cpu.max')?.trim().split(/\s+/);
  if (v2 && v2.length === 2) return v2[0] === 'max' ? undefined : quota(Number(v2[0]), Number(v2[1]));
  const v1Quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const v1Period = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  if (v1Quota === undefined || v1Period === undefined) return undefined;
  return quota(Number(v1Quota.trim()), Number(v1Period.trim()));
}

function quota(us: number, periodUs: number): number | undefined {
  if (!Number.isFinite(us) || !Number.isFinite(periodUs) || us <= 0 || periodUs <= 0) return undefined;
  return Math.max(1, Math.ceil(us / periodUs));
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Cores this process may use: the CPUs it may run on (affinity), capped by its cgroup's CPU quota. */
export function usableCores(limit: number | undefined = cgroupCpuLimit(), parallelism = availableParallelism()): number {
  return Math.max(1, Math.min(parallelism, limit ?? parallelism));
}

/**
 * A configuration value for how many processes serve a service's ports (runClustered): a count
 * 1–16, or `auto` for one per usable core, at most 4.
 */
export function workersSetting(fallback: 'auto' | number) {
  return z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(16)])
    .default(fallback)
    .transform((v) => (v === 'auto' ? Math.min(4, usableCores()) : v));
}

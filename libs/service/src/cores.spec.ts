import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cgroupCpuLimit, usableCores } from './cores.js';

const files = (entries: Record<string, string>) => (path: string) => entries[path];

void test('a cgroup v2 quota is read as CPUs, rounded up; `max` is no limit', () => {
  assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' })), 2, 'a Kubernetes limit of 2');
  assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000' })), 2, '1.5 CPUs round up');
  assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' })), 1, 'half a CPU is still one process');
  assert.equal(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': 'max 100000' })), undefined);
});

void test('cgroup v1 quota and period; -1 or nothing readable is no limit', () => {
  const v1 = (quota: string) => files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': quota, '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n' });
  assert.equal(cgroupCpuLimit(v1('300000\n')), 3);
  assert.equal(cgroupCpuLimit(v1('-1\n')), undefined);
  assert.equal(cgroupCpuLimit(files({})), undefined);
});

void test('usable cores: the affinity CPUs capped by the quota', () => {
  assert.equal(usableCores(2, 32), 2, 'a 2-CPU pod on a 32-core node');
  assert.equal(usableCores(undefined, 2), 2, 'no quota: every CPU the process may run on');
  assert.equal(usableCores(8, 2), 2, 'a quota above the CPUs does not add any');
});

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { claim, freePort, PORT_LOCKS, portRange, release } from './ports.js';

const run = promisify(execFile);
const portsModule = fileURLToPath(new URL('./ports.js', import.meta.url));

/** Ports taken by a separate Node process, `count` of them at once; it prints them and its pid, then exits. */
async function takeInChild(count: number): Promise<{ pid: number; ports: number[] }> {
  const script = `const { freePort } = await import(${JSON.stringify(portsModule)});
const ports = await Promise.all(Array.from({ length: ${count} }, () => freePort()));
console.log(JSON.stringify({ pid: process.pid, ports }));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as { pid: number; ports: number[] };
}

void describe('freePort', () => {
  void test('gives a port below the ephemeral range that can be bound on 127.0.0.1, claimed by this process', async () => {
    const port = await freePort();
    const range = portRange();
    assert.ok(range, 'this kernel leaves room below its ephemeral range');
    assert.ok(port >= range.low && port < range.high, `${port} in [${range.low}, ${range.high})`);
    assert.equal(readFileSync(join(PORT_LOCKS, String(port)), 'utf8'), String(process.pid));
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    release(port);
    assert.equal(existsSync(join(PORT_LOCKS, String(port))), false, 'release removes the lock');
  });

  void test('the range ends at the kernel first ephemeral port, never above 32767, and is none when too small', () => {
    assert.deepEqual(portRange({ low: 32_768 }), { low: 20_000, high: 32_768 });
    assert.deepEqual(portRange({ low: 49_152 }), { low: 20_000, high: 32_768 });
    assert.deepEqual(portRange({ low: 28_000 }), { low: 20_000, high: 28_000 });
    assert.equal(portRange({ low: 20_500 }), undefined);
  });

  void test('processes side by side never get the same port, and a process that exits leaves no locks', async () => {
    const [a, b, c] = await Promise.all([takeInChild(40), takeInChild(40), takeInChild(40)]);
    const all = [...a.ports, ...b.ports, ...c.ports];
    assert.equal(all.length, 120);
    assert.equal(new Set(all).size, 120, 'no port given twice');
    for (const port of all) assert.equal(existsSync(join(PORT_LOCKS, String(port))), false, `lock of ${port} removed at exit`);
  });

  void test('a port held by a live process is refused; once that process is gone its lock is taken over', async () => {
    mkdirSync(PORT_LOCKS, { recursive: true });
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const port = portRange()!.high - 1;
    writeFileSync(join(PORT_LOCKS, String(port)), String(holder.pid));
    assert.equal(claim(port), false, 'held by a live process');
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
    assert.equal(claim(port), true, 'its process is gone');
    assert.equal(readFileSync(join(PORT_LOCKS, String(port)), 'utf8'), String(process.pid));
    release(port);
  });
});

import { randomInt } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where freePort's claims live: one file per port, holding the claiming process's pid (one folder per user). */
export const PORT_LOCKS = join(tmpdir(), `clickwise-ports-${process.getuid?.() ?? 'user'}`);

/** The lowest port freePort hands out: above the platform's and the test infra's fixed ports. */
const LOWEST = 20_000;

/**
 * The ports freePort picks from: [20000, the kernel's first ephemeral port), never above 32767.
 *
 * An OS-picked port (bind to 0) comes from the ephemeral range, which is also where every outgoing
 * connection's source port comes from. Between freePort's answer and the server's bind, one of the
 * suite's thousands of client connections could take it, and a Kafka controller then failed with
 * "Address already in use" (4b5fe44, and CI of 4b52d55). Below that range no client takes a port.
 * Undefined when the kernel's range starts too low to leave room (then the OS picks).
 */
export function portRange(ephemeral = readEphemeralRange()): { low: number; high: number } | undefined {
  const high = Math.min(ephemeral.low, 32_768);
  return high - LOWEST >= 1_000 ? { low: LOWEST, high } : undefined;
}

function readEphemeralRange(): { low: number } {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low)) return { low: low! };
  } catch {
    // Not Linux: the ephemeral range is 49152-65535 on macOS and Windows.
  }
  return { low: 49_152 };
}

const held = new Set<number>();
let cleanupInstalled = false;

/**
 * A TCP port on 127.0.0.1 that is free and that no other freePort caller on this machine holds.
 *
 * It comes from portRange(), and it stays claimed by a lock file in PORT_LOCKS until this process
 * exits, so test processes running side by side never get the same port. A lock whose process is
 * gone is taken over (two processes taking over the same stale lock at the same instant could both
 * win; stale locks are left only by killed processes). The port is also bound once, to check that
 * nothing listens on it.
 */
export async function freePort(): Promise<number> {
  const range = portRange();
  if (!range) return osPickedPort();
  mkdirSync(PORT_LOCKS, { recursive: true });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(range.low, range.high);
    if (held.has(port) || !claim(port)) continue;
    if (await bindable(port)) return port;
    release(port);
  }
  throw new Error(`freePort: no free port in ${range.low}-${range.high - 1} after 200 tries (locks in ${PORT_LOCKS})`);
}

/** Claims `port` for this process; false when a live process holds it. Exported for its test. */
export function claim(port: number): boolean {
  const file = join(PORT_LOCKS, String(port));
  // Written whole under a name of this process's, then linked into place: link fails when the
  // lock exists, and a reader never sees a lock without its pid.
  const draft = `${file}.${process.pid}.draft`;
  writeFileSync(draft, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(draft, file);
        held.add(port);
        installCleanup();
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = ownerOf(file);
        if (owner === undefined) continue; // released a moment ago: link again
        if (alive(owner)) return false;
        try {
          unlinkSync(file); // its process is gone
        } catch {
          // another process removed it first; the next link says who won
        }
      }
    }
    return false;
  } finally {
    unlinkSync(draft);
  }
}

/** Gives a claimed port back before this process exits. */
export function release(port: number): void {
  if (!held.delete(port)) return;
  try {
    unlinkSync(join(PORT_LOCKS, String(port)));
  } catch {
    // already gone
  }
}

function ownerOf(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const port of [...held]) release(port);
  });
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function osPickedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

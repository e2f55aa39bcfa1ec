import { spawnSync } from 'node:child_process';
import { cpus, freemem, homedir, loadavg, totalmem } from 'node:os';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the benchmark ran on, printed beside every figure. */
export interface Hardware {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  kernel: string;
  java: string;
  /** The Kafka client adapter the bench and the services it starts use (KAFKA_CLIENT; ADR 0044). */
  kafkaClient: string;
  /** 1-minute load average when the bench started (other work on the box). */
  loadAverage: number;
}

export function hardware(): Hardware {
  const cpu = cpus();
  // `java -version` prints on stderr.
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const java = `${probe.stderr ?? ''}${probe.stdout ?? ''}`.trim().split('\n')[0] || 'unknown';
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel,
    java,
    kafkaClient: process.env.KAFKA_CLIENT || 'kafkajs',
    loadAverage: Math.round((loadavg()[0] ?? 0) * 10) / 10,
  };
}

export function describeHardware(h: Hardware): string {
  return `${h.cores} × ${h.cpuModel}, ${h.memoryGiB} GiB RAM, Node ${h.node}, Linux ${h.kernel}, ${h.java}; Kafka client ${h.kafkaClient}; load average ${h.loadAverage}`;
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** A fixed-memory latency recorder (ms) with exact percentiles over a bounded reservoir. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;
  private seen = 0;

  constructor(capacity = 1_000_000) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    this.seen++;
    if (this.count < this.samples.length) {
      this.samples[this.count++] = ms;
    } else {
      // Reservoir sampling keeps the percentiles unbiased once the buffer is full.
      const slot = Math.floor(Math.random() * this.seen);
      if (slot < this.samples.length) this.samples[slot] = ms;
    }
  }

  get size(): number {
    return this.seen;
  }

  percentile(p: number): number {
    return percentile(Array.from(this.samples.subarray(0, this.count)), p);
  }
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Prints a result table to stderr and, with --json, one JSON line to stdout last. */
export function report(title: string, rows: Record<string, string | number>[], json: unknown, asJson: boolean): void {
  process.stderr.write(`\n${title}\n`);
  if (rows.length > 0) {
    const keys = Object.keys(rows[0]!);
    const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    process.stderr.write(`${line(keys)}\n`);
    for (const r of rows) process.stderr.write(`${line(keys.map((k) => String(r[k])))}\n`);
  }
  if (asJson) process.stdout.write(`${JSON.stringify(json)}\n`);
  else process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
}

/** The pids of a process and its descendants (its workers), from /proc/<pid>/task/<tid>/children (Linux). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${out[i]}/task`)) {
        const children = readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim();
        if (children) out.push(...children.split(' ').map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** CPU time (user + system, ms) a process and its live descendants have used so far (Linux; NaN elsewhere). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  return processTree(pid).reduce((sum, p) => sum + ownCpuMs(p), 0);
}

/**
 * CPU time (user + system, ms) one process has used so far, from /proc/<pid>/stat; with
 * `reapedChildren`, plus the CPU of its children that exited and were waited for (a Redis's
 * append-only-file rewrites, each a fork).
 */
export function ownCpuMs(pid: number, reapedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th,
    // stime the 15th, cutime and cstime (waited-for children) the 16th and 17th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((Number(fields[11]) + Number(fields[12]) + children) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
/** The pid in a pid file, when the file is there and the process runs. */
export function pidFrom(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux's every mainstream platform. */
const CLOCK_TICKS = 100;

/** A Go tool (ghz) from PATH or the Go bin folder, where deploy/local/bench-tools.sh installs it. */
export function goTool(name: string): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), join(process.env.GOPATH ?? join(homedir(), 'go'), 'bin')]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} is not installed: deploy/local/bench-tools.sh installs it (./clickwise bench runs it)`);
}

/**
 * ghz's words for a call it cut off itself when --duration ended: not failures of the server. v0.120
 * closes its own connection under them ("use of closed network connection", one per call in
 * flight); older ones said "Canceled"/"closing".
 */
export const CUT_OFF = /Canceled|closing|use of closed network connection/i;

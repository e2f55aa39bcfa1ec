import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ProducerPerfResult {
  records: number;
  recordSize: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Runs Kafka's own producer benchmark (org.apache.kafka.tools.ProducerPerformance, from the jars
 * deploy/local/kafka.sh cached) with acks=all and idempotence on, for a baseline on the same box.
 */
export async function kafkaProducerPerf(options: {
  brokers: string;
  topic: string;
  records: number;
  recordSize: number;
  repoRoot: string;
}): Promise<ProducerPerfResult> {
  const cache = process.env.CLICKWISE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'clickwise');
  const args = [
    '-Xmx512m',
    `-Dlog4j2.configurationFile=${join(options.repoRoot, 'deploy/local/log4j2.yaml')}`,
    '-cp',
    join(cache, 'kafka-4.3.1/libs/*'),
    'org.apache.kafka.tools.ProducerPerformance',
    '--bootstrap-server',
    options.brokers,
    '--topic',
    options.topic,
    '--num-records',
    String(options.records),
    '--record-size',
    String(options.recordSize),
    '--throughput',
    '-1',
    '--command-property',
    'acks=all',
    'enable.idempotence=true',
    'linger.ms=5',
  ];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`ProducerPerformance exited ${code}:\n${out}`))));
  });
  // Final line: "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, p50 ms 50th, ..."
  const final = output
    .split('\n')
    .reverse()
    .find((l) => /records sent,.*50th/.test(l));
  if (!final) throw new Error(`cannot read ProducerPerformance output:\n${output}`);
  const num = (re: RegExp) => Number(re.exec(final)?.[1] ?? Number.NaN);
  return {
    records: num(/^(\d+) records sent/),
    recordSize: options.recordSize,
    recordsPerSec: num(/([\d.]+) records\/sec/),
    mbPerSec: num(/\(([\d.]+) MB\/sec\)/),
    avgLatencyMs: num(/([\d.]+) ms avg latency/),
    maxLatencyMs: num(/([\d.]+) ms max latency/),
    p50Ms: num(/(\d+) ms 50th/),
    p99Ms: num(/(\d+) ms 99th/),
  };
}

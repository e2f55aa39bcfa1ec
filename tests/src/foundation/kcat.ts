import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One record as kcat (librdkafka, an independent Kafka client) read it. */
export interface KcatRecord {
  partition: number;
  offset: number;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Reads every record of `topic` with kcat, from the beginning to the current end, byte-exact:
 * each record is printed as a text header `partition offset timestamp keyLength valueLength\n`
 * followed by the raw key and value bytes, so binary protobuf values need no delimiter.
 */
export async function kcatConsume(brokers: string[], topic: string): Promise<KcatRecord[]> {
  const { stdout } = await run(
    'kcat',
    ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %T %K %S\\n%k%s'],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
  );
  const records: KcatRecord[] = [];
  let at = 0;
  while (at < stdout.length) {
    const newline = stdout.indexOf(0x0a, at);
    if (newline < 0) throw new Error(`kcat output: header without newline at byte ${at}`);
    const header = stdout.subarray(at, newline).toString('ascii').split(' ').map(Number);
    if (header.length !== 5 || header.some((n) => !Number.isFinite(n))) {
      throw new Error(`kcat output: bad header "${stdout.subarray(at, newline).toString('ascii')}"`);
    }
    const [partition, offset, timestampMs, keyLength, valueLength] = header as [number, number, number, number, number];
    at = newline + 1;
    const key = keyLength < 0 ? null : stdout.subarray(at, at + keyLength);
    at += Math.max(0, keyLength);
    const value = valueLength < 0 ? null : stdout.subarray(at, at + valueLength);
    at += Math.max(0, valueLength);
    records.push({ partition, offset, timestampMs, key, value });
  }
  return records;
}

/** kcat's JSON envelope per record: it names the timestamp type (`create` or `logappend`). */
export interface KcatEnvelope {
  topic: string;
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
}

export async function kcatEnvelopes(brokers: string[], topic: string): Promise<KcatEnvelope[]> {
  const { stdout } = await run('kcat', ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-q', '-J'], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30_000,
  });
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as KcatEnvelope);
}

/**
 * Produces with kcat: every file becomes exactly one record (kcat's file mode without -l), with
 * `key` and `headers`, so binary protobuf values need no delimiter. Resolves after kcat exited 0,
 * which it does only once every record was delivered.
 */
export async function kcatProduce(
  brokers: string[],
  topic: string,
  key: string,
  files: string[],
  headers: Record<string, string> = {},
): Promise<void> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]);
  await run('kcat', ['-P', '-b', brokers.join(','), '-t', topic, '-k', key, ...headerArgs, ...files], { timeout: 30_000 });
}

import { create } from '@bufbuild/protobuf';
import { ModelArtifactRecordSchema, topics, type ModelArtifactChunk, type ModelArtifactRecord } from '@clickwise/contracts';
import { InvalidInputError, UnavailableError } from '@clickwise/errors';
import type { KafkaPlatform, KafkaProducer } from '@clickwise/kafka';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptArtifactError, MissingArtifactError } from './errors.js';
import type { ArtifactRef } from './types.js';

/** Most artifact bytes in one record: with the envelope it stays well under Kafka's default 1 MB record limit. */
export const CHUNK_BYTES = 512 * 1024;

const SHA256 = /^[0-9a-f]{64}$/;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The artifact location the registry writes: kafka://models.artifacts.v1/<sha256>. */
export function artifactUri(sha256: string): string {
  return `kafka://${topics.modelArtifacts.name}/${sha256}`;
}

/** The SHA-256 an artifact URI names; throws for a location the registry cannot read. */
export function parseArtifactUri(uri: string): string {
  const prefix = `kafka://${topics.modelArtifacts.name}/`;
  const sha = uri.startsWith(prefix) ? uri.slice(prefix.length) : '';
  if (!SHA256.test(sha)) throw new InvalidInputError(`artifact location "${uri}" is not ${prefix}<sha256>: the registry cannot read it`, 'artifactUri');
  return sha;
}

/** The chunk records of an artifact (keys `<sha256>/<index>`), pure: what `ArtifactStore.write` sends. */
export function chunkRecords(bytes: Uint8Array, chunkBytes = CHUNK_BYTES): { sha256: string; records: { key: string; value: ModelArtifactRecord }[] } {
  if (!Number.isInteger(chunkBytes) || chunkBytes <= 0) throw new InvalidInputError(`chunkBytes must be a positive whole number, got ${chunkBytes}`, 'chunkBytes');
  const sha256 = sha256Hex(bytes);
  const count = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  const records = Array.from({ length: count }, (_, index) => {
    const data = bytes.subarray(index * chunkBytes, Math.min(bytes.length, (index + 1) * chunkBytes));
    return {
      key: `${sha256}/${index}`,
      value: create(ModelArtifactRecordSchema, { sha256, part: { case: 'chunk', value: { index, data, sha256: sha256Hex(data) } } }),
    };
  });
  return { sha256, records };
}

/**
 * Puts an artifact together from its chunks (by index; the last one read wins) and verifies it:
 * every chunk against its own digest, the whole against `sha256` and `sizeBytes`. Throws
 * MissingArtifactError naming the absent chunks, CorruptArtifactError naming the broken one.
 */
export function assembleArtifact(
  expected: { sha256: string; sizeBytes: number; chunks: number },
  found: ReadonlyMap<number, ModelArtifactChunk>,
  label: string,
): Uint8Array {
  const missing: number[] = [];
  for (let i = 0; i < expected.chunks; i++) if (!found.has(i)) missing.push(i);
  if (missing.length > 0) {
    const listed = missing.length > 10 ? `${missing.slice(0, 10).join(', ')}, … (${missing.length} in all)` : missing.join(', ');
    throw new MissingArtifactError(`artifact ${expected.sha256} of ${label} is incomplete on ${topics.modelArtifacts.name}: chunk ${listed} of ${expected.chunks} not found`);
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let i = 0; i < expected.chunks; i++) {
    const chunk = found.get(i)!;
    if (sha256Hex(chunk.data) !== chunk.sha256) {
      throw new CorruptArtifactError(`artifact ${expected.sha256} of ${label} is corrupt: chunk ${i} of ${expected.chunks} does not match its SHA-256`);
    }
    parts.push(chunk.data);
    size += chunk.data.length;
  }
  if (size !== expected.sizeBytes) {
    throw new CorruptArtifactError(`artifact ${expected.sha256} of ${label} is corrupt: its chunks hold ${size} bytes, the record says ${expected.sizeBytes}`);
  }
  const bytes = Buffer.concat(parts, size);
  const actual = sha256Hex(bytes);
  if (actual !== expected.sha256) throw new CorruptArtifactError(`artifact ${expected.sha256} of ${label} is corrupt: its bytes hash to ${actual}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface ArtifactStoreOptions {
  /** A folder for verified copies keyed by SHA-256, so a restart does not read Kafka again (none: no local copies). */
  cacheDir?: string;
  /** How long reading an artifact from Kafka may take (ms; default 120,000). */
  readTimeoutMs?: number;
  /** Problems it worked around (a corrupt local copy, read again from Kafka). */
  onWarning?: (message: string) => void;
}

/** Where an artifact landed on models.artifacts.v1. */
export type WrittenArtifact = Omit<ArtifactRef, 'format'>;

/**
 * Model artifacts on the compacted models.artifacts.v1 (ADR 0056): chunks of at most 512 KiB keyed
 * `<sha256>/<index>`, then a manifest keyed `<sha256>/manifest`; read back by the offset range the
 * writer saw, verified chunk by chunk and whole, with an optional local cache keyed by checksum.
 */
export class ArtifactStore {
  /**
   * `producer` sends each chunk in a request of its own (KafkaPlatform.producer with
   * `maxBatchRecords: 1`): a produce request of several chunks would pass the broker's limit.
   */
  constructor(
    private readonly kafka: KafkaPlatform,
    private readonly producer: KafkaProducer,
    private readonly options: ArtifactStoreOptions = {},
  ) {}

  private get topic() {
    return this.kafka.topics.modelArtifacts;
  }

  private async partition(): Promise<{ partition: number; high: bigint }> {
    const ranges = await this.kafka.admin.offsets(this.topic);
    const only = ranges[0];
    if (!only || ranges.length !== 1) {
      throw new UnavailableError(`${this.topic.name} must have exactly one partition (it has ${ranges.length}): artifacts are read back by offset range`);
    }
    return only;
  }

  /** Writes the artifact's chunks, then its manifest; resolves with where they are once Kafka acknowledged all. */
  async write(bytes: Uint8Array): Promise<WrittenArtifact> {
    if (bytes.length === 0) throw new InvalidInputError('the artifact is empty', 'artifact');
    const { sha256, records } = chunkRecords(bytes);
    const { partition, high: first } = await this.partition();
    for (const r of records) await this.producer.send(this.topic, [this.topic.record(r.value, { key: r.key })]);
    const { high: end } = await this.partition();
    const manifest = create(ModelArtifactRecordSchema, {
      sha256,
      part: {
        case: 'manifest',
        value: { sizeBytes: BigInt(bytes.length), chunks: records.length, chunkBytes: CHUNK_BYTES, partition, firstOffset: first, endOffset: end, writtenAtMs: BigInt(Date.now()) },
      },
    });
    await this.producer.send(this.topic, [this.topic.record(manifest, { key: `${sha256}/manifest` })]);
    await this.store(sha256, bytes);
    return { uri: artifactUri(sha256), sha256, sizeBytes: bytes.length, partition, firstOffset: Number(first), endOffset: Number(end), chunks: records.length };
  }

  /** The artifact's bytes, verified: from the local cache when it holds a good copy, else from Kafka (then cached). */
  async read(ref: ArtifactRef, label: string): Promise<Uint8Array> {
    const sha256 = parseArtifactUri(ref.uri);
    if (sha256 !== ref.sha256) throw new CorruptArtifactError(`${label}: its artifact location names ${sha256}, its checksum is ${ref.sha256}`);
    const cached = await this.cached(sha256);
    if (cached) return cached;
    const found = new Map<number, ModelArtifactChunk>();
    const collect = (records: { value: ModelArtifactRecord }[]) => {
      for (const { value } of records) if (value.sha256 === sha256 && value.part.case === 'chunk') found.set(value.part.value.index, value.part.value);
    };
    const timeoutMs = this.options.readTimeoutMs ?? 120_000;
    const p = ref.partition;
    collect(await this.kafka.admin.readTopic(this.topic, { timeoutMs, fromOffsets: new Map([[p, BigInt(ref.firstOffset)]]), untilOffsets: new Map([[p, BigInt(ref.endOffset)]]) }));
    if (found.size < ref.chunks) {
      // A chunk written again later (the same artifact published twice) is kept by compaction only
      // in its later copy: look past the range before calling it missing.
      collect(await this.kafka.admin.readTopic(this.topic, { timeoutMs, fromOffsets: new Map([[p, BigInt(ref.endOffset)]]), untilOffsets: new Map([[p, BigInt(Number.MAX_SAFE_INTEGER)]]) }));
    }
    const bytes = assembleArtifact(ref, found, label);
    await this.store(sha256, bytes);
    return bytes;
  }

  /** A verified local copy, if the cache holds one (a copy that does not verify is deleted). */
  async cached(sha256: string): Promise<Uint8Array | undefined> {
    const dir = this.options.cacheDir;
    if (!dir) return undefined;
    const path = join(dir, sha256);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return undefined;
    }
    if (sha256Hex(bytes) === sha256) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.options.onWarning?.(`the cached copy ${path} does not match its SHA-256: deleted, reading ${sha256} from ${this.topic.name}`);
    await rm(path, { force: true });
    return undefined;
  }

  private async store(sha256: string, bytes: Uint8Array): Promise<void> {
    const dir = this.options.cacheDir;
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${sha256}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, bytes);
    await rename(tmp, join(dir, sha256));
  }
}

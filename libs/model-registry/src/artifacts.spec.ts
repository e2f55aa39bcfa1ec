import { type ModelArtifactChunk } from '@clickwise/contracts';
import { InvalidInputError } from '@clickwise/errors';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { artifactUri, assembleArtifact, CHUNK_BYTES, chunkRecords, parseArtifactUri, sha256Hex } from './artifacts.js';
import { CorruptArtifactError, MissingArtifactError } from './errors.js';

function chunksOf(bytes: Uint8Array, chunkBytes?: number) {
  const { sha256, records } = chunkRecords(bytes, chunkBytes);
  const found = new Map<number, ModelArtifactChunk>();
  for (const r of records) {
    assert.equal(r.value.part.case, 'chunk');
    if (r.value.part.case === 'chunk') found.set(r.value.part.value.index, r.value.part.value);
  }
  return { sha256, records, found, expected: { sha256, sizeBytes: bytes.length, chunks: records.length } };
}

void describe('artifact chunks', () => {
  void test('split into records of at most 512 KiB keyed <sha256>/<index>, and put back together', () => {
    for (const size of [1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 17]) {
      const bytes = randomBytes(size);
      const { sha256, records, found, expected } = chunksOf(bytes);
      assert.equal(sha256, sha256Hex(bytes));
      assert.equal(records.length, Math.ceil(size / CHUNK_BYTES));
      assert.deepEqual(
        records.map((r) => r.key),
        records.map((_, i) => `${sha256}/${i}`),
      );
      for (const r of records) if (r.value.part.case === 'chunk') assert.ok(r.value.part.value.data.length <= CHUNK_BYTES);
      assert.ok(Buffer.from(assembleArtifact(expected, found, 'm/v')).equals(bytes), `size ${size}`);
    }
  });

  void test('a missing chunk is named', () => {
    const { found, expected } = chunksOf(randomBytes(5000), 1000);
    found.delete(2);
    assert.throws(() => assembleArtifact(expected, found, 'propensity/v1'), (e: unknown) => e instanceof MissingArtifactError && /of propensity\/v1 is incomplete.*chunk 2 of 5 not found/.test(e.message));
  });

  void test('a corrupt chunk is named; bytes that fit every chunk but not the whole are caught too', () => {
    const { found, expected } = chunksOf(randomBytes(5000), 1000);
    const broken = found.get(3)!;
    broken.data = Uint8Array.from(broken.data);
    broken.data[10]! ^= 0xff;
    assert.throws(() => assembleArtifact(expected, found, 'propensity/v1'), (e: unknown) => e instanceof CorruptArtifactError && /chunk 3 of 5 does not match its SHA-256/.test(e.message));
    // A chunk swapped for a self-consistent other one: only the whole digest sees it.
    const other = chunksOf(randomBytes(1000), 1000).found.get(0)!;
    const target = chunksOf(randomBytes(5000), 1000);
    target.found.set(1, other);
    assert.throws(() => assembleArtifact(target.expected, target.found, 'm/v'), (e: unknown) => e instanceof CorruptArtifactError && /its bytes hash to/.test(e.message));
  });

  void test('artifact locations', () => {
    const sha = 'a'.repeat(64);
    assert.equal(artifactUri(sha), `kafka://models.artifacts.v1/${sha}`);
    assert.equal(parseArtifactUri(artifactUri(sha)), sha);
    for (const bad of ['file:///tmp/model.bin', `kafka://models.artifacts.v1/${'a'.repeat(63)}`, 's3://bucket/x']) {
      assert.throws(() => parseArtifactUri(bad), (e: unknown) => e instanceof InvalidInputError && e.message.includes(bad));
    }
  });
});

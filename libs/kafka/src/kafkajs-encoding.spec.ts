/**
 * The produce path of our kafkajs 2.2.4 patch (patches/kafkajs@2.2.4.patch, ADR 0045) writes the
 * bytes the shipped code wrote: slicing-by-8 CRC-32C, varints written in place, record batches and
 * produce requests with fewer copies; and the adapter's murmur2 partitioner places keys as
 * kafkajs's DefaultPartitioner (and the Java client) does.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';
import { murmur2, murmur2Partitioner } from './kafkajs.adapter.js';

// Not part of kafkajs's public API; this test is about those very files.
const require = createRequire(import.meta.url);
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buffer: Buffer) => number;
interface EncoderLike {
  buffer: Buffer;
  writeVarInt(value: number): EncoderLike;
  writeUVarInt(value: number): EncoderLike;
  writeVarLong(value: number | bigint | string): EncoderLike;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as { new (): EncoderLike; sizeOfVarLong(value: number | bigint): number };
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: unknown) => unknown;
const frame = require('kafkajs/src/protocol/request.js') as (args: { correlationId: number; clientId: string; request: unknown }) => Promise<{ buffer: Buffer }>;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: number): unknown };

/** CRC-32C one byte per step, as kafkajs 2.2.4 shipped it (the naive reference). */
const CRC_TABLE = Int32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c;
});
function crc32CBytewise(buffer: Uint8Array): number {
  let crc = -1;
  for (const byte of buffer) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Zigzag LEB128 over BigInt (the naive reference for varint and varlong). */
function zigzagLeb128(value: bigint): Buffer {
  let z = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

void describe('kafkajs patch: CRC-32C slicing-by-8', () => {
  void test('equals the byte-wise CRC on every length and on the check value', () => {
    assert.equal(crc32C(Buffer.from('123456789')), 0xe3069283);
    for (let length = 0; length < 300; length++) {
      const buffer = randomBytes(length);
      assert.equal(crc32C(buffer), crc32CBytewise(buffer), `length ${length}`);
    }
    const large = randomBytes(100_003);
    assert.equal(crc32C(large), crc32CBytewise(large));
    assert.equal(crc32C(large.subarray(5, 70_001)), crc32CBytewise(large.subarray(5, 70_001)), 'an unaligned view');
  });
});

void describe('kafkajs patch: varints written in place', () => {
  void test('varint, unsigned varint and varlong bytes equal zigzag LEB128', () => {
    const values = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32, 2 ** 52, -(2 ** 52), 2 ** 52 + 2, 2 ** 53 - 1, 1_764_000_000_000, -34_560_000_000];
    for (let i = 0; i < 2000; i++) values.push(Math.trunc((Math.random() - 0.5) * 2 ** (Math.random() * 60)));
    for (const value of values) {
      const expected = zigzagLeb128(BigInt(value));
      assert.deepEqual(new Encoder().writeVarLong(value).buffer, expected, `varlong ${value}`);
      assert.equal(Encoder.sizeOfVarLong(value), expected.length, `sizeOfVarLong ${value}`);
      if (value >= -(2 ** 31) && value < 2 ** 31) assert.deepEqual(new Encoder().writeVarInt(value).buffer, expected, `varint ${value}`);
      if (value >= 0 && value < 2 ** 31) assert.deepEqual(new Encoder().writeUVarInt(value).buffer, unsignedLeb128(value), `uvarint ${value}`);
    }
    for (const value of [5n, -5n, 2n ** 62n, -(2n ** 63n)]) assert.deepEqual(new Encoder().writeVarLong(value).buffer, zigzagLeb128(value), `bigint ${value}`);
  });
});

function unsignedLeb128(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A produce request with every kind of record the encoder meets (timestamps fixed, so the bytes are). */
function topicData() {
  const digest = (algorithm: string, text: string) => createHash(algorithm).update(text).digest();
  const partitions = [0, 1, 2].map((partition) => ({
    partition,
    firstSequence: partition * 10,
    messages: Array.from({ length: 50 + partition * 40 }, (_, i) => {
      const n = partition * 1000 + i;
      return {
        key: i % 7 === 0 ? null : `shopper-${(n * 7919) % 997}${i % 5 === 0 ? '-ü' : ''}`,
        value: Buffer.from(digest('sha512', `v${n}`).subarray(0, 20 + (n % 40))),
        headers:
          i % 3 === 0 ? {} : { traceparent: `00-${digest('md5', `t${n}`).toString('hex')}-00f067aa0ba902b7-01`, multi: ['a', Buffer.from('b')] },
        timestamp: 1_764_000_000_000 + (n % 17) * 1000 - (i % 4 === 0 ? 86_400_000 * 400 : 0),
      };
    }),
  }));
  return [
    { topic: 'clickstream.events.v1', partitions },
    { topic: 'clickstream.dlq.v1', partitions: [{ partition: 0, firstSequence: 0, messages: [{ key: 'k', value: Buffer.alloc(0), headers: {}, timestamp: 1_764_000_000_123 }] }] },
  ];
}

void describe('kafkajs patch: record batches and produce requests', () => {
  void test('a produce request is byte for byte what kafkajs 2.2.4 as shipped wrote', async () => {
    const request = produceV3({ acks: -1, timeout: 30_000, producerId: Long.fromValue(4242), producerEpoch: 3, topicData: topicData() });
    const bytes = (await frame({ correlationId: 7, clientId: 'clickwise-ingestion', request })).buffer;
    // Taken from the shipped produce path (kafkajs 2.2.4 with only ADR 0018's hunks, none of which
    // touches encoding) on this very request.
    assert.equal(bytes.length, 31_573);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), 'd281831489935b7e33729fec897a0e781d33a286338186f0d5e92026300d5802');
  });
});

function partitionList(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));
}

void describe('kafkajs adapter: murmur2 partitioner', () => {
  void test('murmur2 equals the Java client on its known value and kafkajs on random bytes', () => {
    assert.equal(murmur2(Buffer.from('21')), -973932308); // org.apache.kafka.common.utils.Utils.murmur2
    const reference = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
    for (let i = 0; i < 3000; i++) {
      const key = randomBytes(i % 70);
      assert.equal(murmur2(key), reference(key), key.toString('hex'));
    }
  });

  void test('places every key where kafkajs DefaultPartitioner does', () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = murmur2Partitioner();
    for (const count of [1, 3, 6, 7, 64]) {
      const partitionMetadata = partitionList(count);
      for (let i = 0; i < 2000; i++) {
        const text = i % 11 === 0 ? `shopper-ü-${i}-日本` : i % 13 === 0 ? 'x'.repeat(600 + i) : `${randomBytes(1 + (i % 40)).toString('base64')}`;
        const keys: (string | Buffer)[] = [text, Buffer.from(text)];
        for (const key of keys) {
          const message: Message = { key, value: null };
          assert.equal(ours({ topic: 't', partitionMetadata, message }), theirs({ topic: 't', partitionMetadata, message }), `${count}: ${text}`);
        }
      }
      const given: Message = { key: 'k', value: null, partition: 2 };
      assert.equal(ours({ topic: 't', partitionMetadata, message: given }), 2);
    }
  });

  void test('records without a key go round-robin over the partitions with a leader', () => {
    const partition = murmur2Partitioner();
    const partitionMetadata = partitionList(6, [1, 4]);
    const seen = Array.from({ length: 8 }, () => partition({ topic: 't', partitionMetadata, message: { key: null, value: null } }));
    assert.ok(seen.every((p) => ![1, 4].includes(p)), `${seen.join(',')}`);
    assert.equal(new Set(seen).size, 4);
  });
});

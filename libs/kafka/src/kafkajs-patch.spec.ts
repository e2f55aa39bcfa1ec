/**
 * Our `pnpm patch` of kafkajs 2.2.4 (patches/kafkajs@2.2.4.patch, ADR 0018): a produce request's
 * records are grouped per partition in linear time, with the same result as the shipped code.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { Partitioners, type Message, type PartitionMetadata } from 'kafkajs';

type Partitioner = (args: { topic: string; partitionMetadata: PartitionMetadata[]; message: Message }) => number;
type GroupMessagesPerPartition = (args: {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  messages: Message[];
  partitioner: Partitioner;
}) => Record<string, Message[]>;

// Not part of kafkajs's public API; this test is about that very file.
const groupMessagesPerPartition = createRequire(import.meta.url)('kafkajs/src/producer/groupMessagesPerPartition.js') as GroupMessagesPerPartition;

/** kafkajs 2.2.4 as shipped: one copy of the partition's list per record (the naive reference). */
function shippedGrouping({ topic, partitionMetadata, messages, partitioner }: Parameters<GroupMessagesPerPartition>[0]): Record<string, Message[]> {
  if (partitionMetadata.length === 0) return {};
  return messages.reduce<Record<string, Message[]>>((result, message) => {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition] ?? [];
    return Object.assign(result, { [partition]: [...current, message] });
  }, {});
}

function partitions(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 }));
}

function messages(count: number, shoppers: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({ key: `shopper-${(i * 7919) % shoppers}`, value: Buffer.from(`event-${i}`) }));
}

/** The fastest of `runs` timings of `work` (ms): the least disturbed by other load on the machine. */
function fastest(runs: number, work: () => unknown): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

void describe('kafkajs patch: groupMessagesPerPartition', () => {
  const partitioner: Partitioner = Partitioners.DefaultPartitioner();

  void test('groups as the shipped code did: same partitions, same records, same order', () => {
    for (const [count, shoppers, partitionCount] of [[0, 1, 6], [1, 1, 6], [1000, 50, 6], [5000, 5000, 12], [300, 3, 1]] as const) {
      const args = { topic: 't', partitionMetadata: partitions(partitionCount), messages: messages(count, shoppers), partitioner };
      assert.deepStrictEqual(groupMessagesPerPartition(args), shippedGrouping(args), `${count} records over ${partitionCount} partitions`);
    }
    assert.deepStrictEqual(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: messages(10, 3), partitioner }), {});
  });

  void test('is linear: 10,000 records for one partition cost about as much as partitioning them', () => {
    // The shipped code copies the partition's list for every record: 10,000 records into one
    // partition made 50 million element copies (0.1-3 s, by the machine's load: 60-100 x the
    // partitioning); a linear grouping costs about what the partitioner's murmur2 over the keys costs.
    const args = { topic: 't', partitionMetadata: partitions(1), messages: messages(10_000, 10_000), partitioner };
    const partitionOnly = fastest(3, () => {
      for (const message of args.messages) partitioner({ topic: args.topic, partitionMetadata: args.partitionMetadata, message });
    });
    const grouping = fastest(3, () => groupMessagesPerPartition(args));
    assert.equal(groupMessagesPerPartition(args)['0']?.length, 10_000);
    assert.ok(grouping < 4 * partitionOnly + 20, `grouping took ${grouping.toFixed(1)} ms; partitioning alone ${partitionOnly.toFixed(1)} ms`);
  });
});

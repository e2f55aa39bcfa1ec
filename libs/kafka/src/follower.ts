import type { DescMessage } from '@bufbuild/protobuf';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { KafkaAdmin } from './admin.js';
import type { ConsumedRecord, ConsumerLoop, ConsumerOptions } from './consumer.js';
import type { KafkaProducer } from './producer.js';
import type { Topic } from './topic.js';

export interface FollowerOptions<S extends DescMessage> {
  /** A topic every replica reads whole (compacted: erasures, models, the catalogue). */
  topic: Topic<S>;
  /** The group name's start; each replica adds its host, pid and a random tag (a group per replica). */
  groupPrefix: string;
  /** Name of the stage for dead letters. */
  stage: string;
  /** Applies records of one partition, in offset order (the failure policy of retry.ts applies). */
  handle: (records: ConsumedRecord<S>[]) => Promise<void>;
  deadLetters: KafkaProducer;
  /** How long `start` waits to have caught up before it resolves anyway (ms; default 60,000). */
  catchUpTimeoutMs?: number;
  onError?: ConsumerOptions<S>['onError'];
}

/** Where a follower stood when `start` resolved. */
export interface CatchUp {
  caughtUp: boolean;
  /** The end offsets it had to reach, per partition. */
  ends: Map<number, bigint>;
  waitedMs: number;
}

/**
 * A reader every replica runs (STYLE.md: "readers that every replica needs use a group per
 * replica"): reads the topic from its beginning, resolves `start` once it reached the end the topic
 * had when it started (caught up), then keeps following. Erasures in every service and model
 * versions in prediction are read this way.
 */
export class Follower<S extends DescMessage> {
  private readonly progress = new Map<number, bigint>();
  private readonly loop: ConsumerLoop<S>;
  readonly groupId: string;

  /** Built by KafkaPlatform.follower. */
  constructor(
    makeLoop: (options: ConsumerOptions<S>) => ConsumerLoop<S>,
    private readonly admin: KafkaAdmin,
    private readonly options: FollowerOptions<S>,
  ) {
    this.groupId = `${options.groupPrefix}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.loop = makeLoop({
      groupId: this.groupId,
      topic: options.topic,
      stage: options.stage,
      deadLetters: options.deadLetters,
      fromBeginning: true,
      handle: async (records) => {
        await options.handle(records);
        const last = records.at(-1);
        if (last) this.progress.set(last.partition, BigInt(last.offset) + 1n);
      },
      onError: options.onError,
    });
  }

  /** Starts following; resolves once caught up with the end the topic had now (or after the timeout). */
  async start(): Promise<CatchUp> {
    const started = Date.now();
    const ranges = await this.admin.offsets(this.options.topic);
    const ends = new Map(ranges.map((r) => [r.partition, r.high] as const));
    await this.loop.start();
    const caughtUp = () => ranges.every((r) => r.low === r.high || (this.progress.get(r.partition) ?? 0n) >= r.high);
    const deadline = started + (this.options.catchUpTimeoutMs ?? 60_000);
    while (!caughtUp()) {
      if (Date.now() > deadline) return { caughtUp: false, ends, waitedMs: Date.now() - started };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { caughtUp: true, ends, waitedMs: Date.now() - started };
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }
}

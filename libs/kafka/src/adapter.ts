/**
 * The seam between libs/kafka and a Kafka client library. Everything else in this package is
 * written against these interfaces; an adapter file (kafkajs.adapter.ts, ...) implements them over
 * one client. Nothing here is exported from the package: callers see KafkaPlatform only.
 */
import type { KafkaLogger } from './logger.js';

/** Record headers as they come off the wire (a header may repeat). */
export type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** One fetched record, before decoding. */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  /** Kafka timestamp, unix ms as a decimal string. */
  timestamp: string;
  headers?: RecordHeaders;
}

export interface RawBatch {
  topic: string;
  partition: number;
  messages: RawMessage[];
  /** The offset the batch reaches in the log (past compacted-away records too). */
  lastOffset(): string;
}

/** One fetched batch of one partition, with the controls a loop needs while handling it. */
export interface BatchContext {
  batch: RawBatch;
  /** Marks records up to `offset` handled (the next fetch of the partition starts after it). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** True once the partition was revoked or sought away from this batch. */
  isStale(): boolean;
}

export interface AdapterConsumerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  maxWaitTimeMs: number;
  /** Static group membership (KIP-345): this instance's stable id in the group, where the client supports it. */
  groupInstanceId?: string;
}

/** A group member; offsets are only committed when the loop says so (no auto-commit, no auto-resolve). */
export interface AdapterConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(topic: string, fromBeginning: boolean): Promise<void>;
  run(options: { partitionsConsumedConcurrently: number; eachBatch: (context: BatchContext) => Promise<void> }): Promise<void>;
  seek(topic: string, partition: number, offset: string): void;
  /** Commits these offsets (each the next offset to read) in one request. */
  commit(offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void>;
  /** Called after every rebalance with this member's partitions by topic. */
  onAssigned(listener: (assignment: Record<string, readonly number[]>) => void): void;
}

export interface ProduceRequest {
  topic: string;
  messages: { key: string | null; value: Buffer; headers: Record<string, string> }[];
}

/** An idempotent (acks=all) producer keyed with murmur2, as the Java client partitions. */
export interface AdapterProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** One write of records for several topics; resolves once Kafka acknowledged all of them. */
  send(requests: ProduceRequest[]): Promise<void>;
  onConnectionChange(listener: (connected: boolean) => void): void;
  /**
   * How many `send` calls may overlap while per-partition order (and, when idempotent, exactly one
   * copy) still holds: the client must put them on the wire in call order.
   */
  readonly maxInFlightSends: number;
}

export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

export interface NewTopic {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
}

export interface AdapterAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(topics: NewTopic[]): Promise<void>;
  deleteTopics(topics: string[]): Promise<void>;
  /** Partition → leader id (negative: none) per topic. */
  leaders(topics: string[]): Promise<{ name: string; partitions: { partition: number; leader: number }[] }[]>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The first offset at or after `timestampMs` per partition (the end when none). */
  offsetsAt(topic: string, timestampMs: number): Promise<{ partition: number; offset: string }[]>;
  /** A group's committed offsets ("-1": none). */
  groupOffsets(groupId: string, topic: string): Promise<{ partition: number; offset: string }[]>;
  /** A round trip to a broker (readiness probes). */
  describeCluster(): Promise<void>;
}

export interface ClientSettings {
  brokers: readonly string[];
  clientId: string;
  logger: KafkaLogger;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
}

/** One Kafka client library behind the platform. */
export interface ClientAdapter {
  readonly name: string;
  producer(options: { idempotent: boolean }): AdapterProducer;
  consumer(options: AdapterConsumerOptions): AdapterConsumer;
  admin(): AdapterAdmin;
}

export type ClientAdapterFactory = (settings: ClientSettings) => ClientAdapter;

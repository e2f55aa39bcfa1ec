import type { TopicSpec } from '@clickwise/contracts';
import { OverloadedError, UnavailableError } from '@clickwise/errors';
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { injectTrace } from './trace.js';

/** A record ready for the wire. */
export interface OutgoingRecord {
  key: string | null;
  value: Buffer;
  headers?: Record<string, string>;
}

export interface ProducerOptions {
  /** How long a record may wait for others to share its produce request (ms). */
  lingerMs?: number;
  /** Most records in one produce request. */
  maxBatchRecords?: number;
  /** Bytes that may wait for Kafka before send() refuses with OverloadedError (back-pressure). */
  maxBufferedBytes?: number;
  /** Idempotent producer with acks from all in-sync replicas (the default; leave it on). */
  idempotent?: boolean;
}

interface Pending {
  topic: string;
  records: OutgoingRecord[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The one way the platform writes to Kafka. Concurrent `send` calls share produce requests
 * (group commit): while one request is in flight the next batch accumulates, so throughput does not
 * depend on callers batching. Each call resolves only after Kafka acknowledged its records
 * (acks=all, idempotent). When more than `maxBufferedBytes` wait, `send` refuses at once with
 * OverloadedError, so memory stays bounded when Kafka is slow or down.
 */
export class KafkaProducer {
  private readonly producer: Producer;
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private readonly maxBufferedBytes: number;
  private queue: Pending[] = [];
  private buffered = 0;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private connected = false;
  private lastError: unknown;

  constructor(kafka: Kafka, options: ProducerOptions = {}) {
    const idempotent = options.idempotent ?? true;
    this.producer = kafka.producer({
      idempotent,
      maxInFlightRequests: idempotent ? 1 : 5,
      allowAutoTopicCreation: false,
      // murmur2 over the key, as the Java client: a shopper's records land on the same partition
      // whichever client wrote them.
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatchRecords = options.maxBatchRecords ?? 10_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.connected = true;
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** The underlying producer, for instrumentation events (e.g. counting produce requests). */
  get raw(): Producer {
    return this.producer;
  }

  /** Bytes waiting for Kafka. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Whether the last produce request succeeded and the client is connected. */
  get healthy(): boolean {
    return this.connected && this.lastError === undefined;
  }

  /** Encodes a protobuf value for `topic`, with the active trace context in its headers. */
  static encode<S extends DescMessage>(
    topic: TopicSpec<S>,
    key: string | null,
    value: MessageShape<S>,
    headers: Record<string, string> = {},
  ): OutgoingRecord {
    return { key, value: Buffer.from(toBinary(topic.value, value)), headers: injectTrace(headers) };
  }

  /** Queues records for `topic`; resolves once Kafka acknowledged all of them. */
  send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    let bytes = 0;
    for (const r of records) bytes += r.value.length + (r.key?.length ?? 0) + 64;
    if (this.buffered + bytes > this.maxBufferedBytes) {
      return Promise.reject(
        new OverloadedError(
          `Kafka is not keeping up: ${this.buffered} bytes already wait to be written`,
          this.lastError === undefined ? 200 : 1000,
        ),
      );
    }
    this.buffered += bytes;
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, records, bytes, resolve, reject });
      this.schedule();
    });
  }

  /** Waits until every queued record was acknowledged or failed. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (!this.inFlight) this.drain();
      await this.inFlight?.catch(() => undefined);
    }
  }

  async disconnect(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
    this.connected = false;
  }

  private schedule(): void {
    if (this.inFlight || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.lingerMs);
  }

  private drain(): void {
    if (this.inFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && count + next.records.length > this.maxBatchRecords) break;
      batch.push(next);
      count += next.records.length;
      this.queue.shift();
    }
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      let messages = byTopic.get(p.topic);
      if (!messages) byTopic.set(p.topic, (messages = []));
      for (const r of p.records) messages.push({ key: r.key, value: r.value, headers: r.headers ?? {} });
    }
    this.inFlight = this.producer
      .sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
      .then(
        () => {
          this.lastError = undefined;
          for (const p of batch) p.resolve();
        },
        (error: unknown) => {
          this.lastError = error;
          const reason = error instanceof Error ? error.message : String(error);
          const failure = new UnavailableError(`Kafka did not acknowledge the write: ${reason}`, 1000, { cause: error });
          for (const p of batch) p.reject(failure);
        },
      )
      .finally(() => {
        for (const p of batch) this.buffered -= p.bytes;
        this.inFlight = undefined;
        if (this.queue.length > 0) this.schedule();
      });
  }
}

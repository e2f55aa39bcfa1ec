import type { TopicSpec } from '@clickwise/contracts';
import { OverloadedError, UnavailableError } from '@clickwise/errors';
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { AdapterProducer, ClientAdapter, ProduceRequest } from './adapter.js';
import type { OutgoingRecord, Topic } from './topic.js';
import { injectTrace } from './trace.js';

export interface ProducerOptions {
  /** How long a record may wait for others to share its produce request (ms). */
  lingerMs?: number;
  /** Most records in one produce request. */
  maxBatchRecords?: number;
  /**
   * Most bytes (values, keys and 64 per record) in one produce request, 1 MiB by default: no
   * partition's record batch in it can then pass the broker's `message.max.bytes` (1 MB by default).
   * A single send() larger than this still goes as one request.
   */
  maxBatchBytes?: number;
  /** Bytes that may wait for Kafka before send() refuses with OverloadedError (back-pressure). */
  maxBufferedBytes?: number;
  /** Idempotent producer with acks from all in-sync replicas (the default; leave it on). */
  idempotent?: boolean;
  /** Produce requests in flight at once; capped by what the client keeps in order (1 for kafkajs). */
  maxInFlightSends?: number;
}

interface Pending {
  topic: string;
  records: OutgoingRecord[];
  bytes: number;
  /** performance.now() when it was queued: the linger counts from the oldest record waiting. */
  queuedAt: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * The one way the platform writes to Kafka. Concurrent `send` calls share produce requests
 * (group commit): while one request is in flight the next batch accumulates, so throughput does not
 * depend on callers batching. A client that keeps order across overlapping requests (librdkafka)
 * gets several in flight. Each call resolves only after Kafka acknowledged its records
 * (acks=all, idempotent). When more than `maxBufferedBytes` wait, `send` refuses at once with
 * OverloadedError, so memory stays bounded when Kafka is slow or down.
 */
export class KafkaProducer {
  private readonly producer: AdapterProducer;
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private readonly maxBatchBytes: number;
  private readonly maxBufferedBytes: number;
  private queue: Pending[] = [];
  private buffered = 0;
  /** Records and bytes in `queue` (not yet handed to the client). */
  private queuedRecords = 0;
  private queuedBytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxInFlight: number;
  /** Cancels the armed send of the queue (a linger timer or an immediate), if any. */
  private timer: (() => void) | undefined;
  private timerAtOnce = false;
  private connected = false;
  private lastError: unknown;
  private writes = 0;
  private peak = 0;

  /** Built by KafkaPlatform.producer. */
  constructor(adapter: ClientAdapter, options: ProducerOptions = {}) {
    this.producer = adapter.producer({ idempotent: options.idempotent ?? true });
    this.maxInFlight = Math.max(1, Math.min(options.maxInFlightSends ?? Infinity, this.producer.maxInFlightSends));
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatchRecords = options.maxBatchRecords ?? 10_000;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.producer.onConnectionChange((connected) => {
      this.connected = connected;
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Writes handed to the client so far (one produce request per broker each; group commit shares them). */
  get writesSent(): number {
    return this.writes;
  }

  /** Most produce requests that were in flight at once (1 with kafkajs; up to 4 with librdkafka). */
  get peakInFlight(): number {
    return this.peak;
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

  /** Encodes `values` for `topic` (keyed by its key function) and sends them. */
  produce<S extends DescMessage>(topic: Topic<S>, values: readonly MessageShape<S>[]): Promise<void> {
    return this.send(topic, values.map((value) => topic.record(value)));
  }

  /** Queues encoded records for `topic`; resolves once Kafka acknowledged all of them. */
  send(topic: Topic, records: OutgoingRecord[]): Promise<void> {
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
      this.queue.push({ topic: topic.name, records, bytes, queuedAt: performance.now(), resolve, reject });
      this.queuedRecords += records.length;
      this.queuedBytes += bytes;
      this.schedule();
    });
  }

  /** Waits until every queued record was acknowledged or failed. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.cancelTimer();
      this.drain();
      await Promise.race(this.inFlight);
    }
  }

  async disconnect(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
    this.connected = false;
  }

  /**
   * Arms the send of the queue's head: at once (next turn of the event loop) when a full request
   * waits or its oldest record has lingered `lingerMs` already (e.g. while the previous request was
   * in flight), else when the oldest record's linger ends, as Kafka's own producer does.
   */
  private schedule(): void {
    if (this.inFlight.size >= this.maxInFlight || this.queue.length === 0) return;
    const full = this.queuedRecords >= this.maxBatchRecords || this.queuedBytes >= this.maxBatchBytes;
    if (this.timer && (this.timerAtOnce || !full)) return;
    this.cancelTimer();
    const wait = full ? 0 : this.lingerMs - (performance.now() - this.queue[0]!.queuedAt);
    const fire = () => {
      this.timer = undefined;
      this.drain();
    };
    this.timerAtOnce = wait <= 0;
    if (this.timerAtOnce) {
      const immediate = setImmediate(fire);
      this.timer = () => clearImmediate(immediate);
    } else {
      const timeout = setTimeout(fire, wait);
      this.timer = () => clearTimeout(timeout);
    }
  }

  private cancelTimer(): void {
    this.timer?.();
    this.timer = undefined;
  }

  /** Hands the queue to the client, as many requests as may be in flight. */
  private drain(): void {
    while (this.inFlight.size < this.maxInFlight && this.queue.length > 0) this.write();
  }

  private write(): void {
    const batch: Pending[] = [];
    let count = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (batch.length > 0 && (count + next.records.length > this.maxBatchRecords || bytes + next.bytes > this.maxBatchBytes)) break;
      batch.push(next);
      count += next.records.length;
      bytes += next.bytes;
      this.queue.shift();
    }
    this.queuedRecords -= count;
    this.queuedBytes -= bytes;
    const byTopic = new Map<string, ProduceRequest['messages']>();
    for (const p of batch) {
      let messages = byTopic.get(p.topic);
      if (!messages) byTopic.set(p.topic, (messages = []));
      for (const r of p.records) messages.push({ key: r.key, value: r.value, headers: r.headers ?? {} });
    }
    this.writes++;
    const write: Promise<void> = this.producer
      .send([...byTopic].map(([topic, messages]) => ({ topic, messages })))
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
        this.inFlight.delete(write);
        if (this.queue.length > 0) this.schedule();
      });
    this.inFlight.add(write);
    this.peak = Math.max(this.peak, this.inFlight.size);
  }
}
